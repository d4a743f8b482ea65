/* walkapp: photos downscaled on the phone (a 12 MP photo becomes ~200 KB), metadata dropped
 * (a canvas keeps pixels only). The sizes come from the page's configuration. */

// The size that fits within max on its long side (never enlarged), at least 1 × 1.
export function fitWithin(width, height, max) {
  const ratio = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * ratio)), height: Math.max(1, Math.round(height * ratio)) };
}

function loadImage(file) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    const url = URL.createObjectURL(file);
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error("unreadable image"));
    };
    img.src = url;
  });
}

function toBlob(canvas, quality) {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode failed"))), "image/jpeg", quality),
  );
}

function scaled(source, width, height, max) {
  const size = fitWithin(width, height, max);
  const canvas = document.createElement("canvas");
  canvas.width = size.width;
  canvas.height = size.height;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas;
}

// {blob, thumb}: the photo to send (at most maxSide) and a thumbnail kept on the phone.
export async function shrinkPhoto(file, { maxSide, thumbSide }) {
  let source;
  if (typeof createImageBitmap === "function") {
    source = await createImageBitmap(file, { imageOrientation: "from-image" });
  } else {
    source = await loadImage(file);
  }
  const width = source.width || source.naturalWidth;
  const height = source.height || source.naturalHeight;
  const photo = scaled(source, width, height, maxSide);
  if (source.close) source.close();
  const thumb = scaled(photo, photo.width, photo.height, thumbSide);
  const result = { blob: await toBlob(photo, 0.82), thumb: await toBlob(thumb, 0.7) };
  photo.width = photo.height = 0; // free the memory now, on small phones
  return result;
}
