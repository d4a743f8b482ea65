/* A background job's page (templates/planner/job.html): polls its status every second while it
 * is queued or running, and updates the progress bar, the "12 / 40" text, then the download
 * link or the failure's sentence, in place (an aria-live region announces them). Texts come
 * from the server (already in the page's language); user text is set as text, never as HTML. */
(function () {
  "use strict";
  const section = document.querySelector("[data-job]");
  if (!section) return;
  const url = section.dataset.statusUrl;
  const every = Number(section.dataset.pollSeconds || "1") * 1000;
  const active = (status) => status === "queued" || status === "running";
  const part = (name) => section.querySelector(`[data-job-${name}]`);
  let failures = 0;

  function show(state) {
    part("status-text").textContent = state.status_text;
    const bar = part("progress");
    if (state.total) {
      bar.max = state.total;
      bar.value = Math.min(state.done, state.total);
    } else {
      bar.removeAttribute("value"); // indeterminate
    }
    part("progress-text").textContent = state.progress_text;
    part("running").hidden = !active(state.status);
    const error = part("error");
    error.textContent = state.error_message || "";
    error.hidden = !state.error_message;
    const download = part("download");
    if (state.download_url && !download.querySelector("a")) {
      const link = document.createElement("a");
      link.href = state.download_url;
      link.setAttribute("download", "");
      link.append(section.dataset.downloadLabel + " ");
      const name = document.createElement("bdi");
      name.textContent = state.filename || "";
      link.append(name);
      download.append(link);
    }
    download.hidden = !state.download_url;
    const reload = part("reload");
    if (reload && !active(state.status)) reload.hidden = true;
    section.dataset.status = state.status;
  }

  async function poll() {
    let state = null;
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        part("error").textContent = section.dataset.pollFailed;
        part("error").hidden = false;
        return; // signed out, or the job is gone: stop
      }
      if (response.ok) state = await response.json();
    } catch (_) {
      state = null; // offline for a moment: try again
    }
    if (state) {
      failures = 0;
      show(state);
      if (!active(state.status)) return;
    } else {
      failures += 1;
    }
    window.setTimeout(poll, every * Math.min(2 ** failures, 30));
  }

  if (active(section.dataset.status)) window.setTimeout(poll, every);
})();
