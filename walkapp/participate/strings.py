"""Every sentence of the participant app, in one place, through the gettext catalogs.

The app shell renders them in the page's language and also carries both languages as JSON, so
the app can switch language offline. Keys are stable names used by templates and JavaScript;
the English text is the gettext msgid (French comes from walkapp/translations). `%(name)s` marks
a value the app fills in (gettext's placeholder, as everywhere in walkapp).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..i18n import in_every_language

STRINGS = {
    # Frame
    "skip": _l("Skip to content"),
    "nav.label": _l("Menu"),
    "nav.tag": _l("Tag a spot"),
    "nav.stop": _l("Rate a stop"),
    "nav.spots": _l("My spots"),
    "theme.night": _l("Night mode"),
    "sync.one": _l("1 spot waiting to be sent"),
    "sync.many": _l("%(n)s spots waiting to be sent"),
    "sync.none": _l("Everything is sent"),
    "sync.problems": _l("Not sent: %(n)s. See “My spots”."),
    "sync.send_now": _l("Send now"),
    "sync.sending": _l("Sending…"),
    "sync.offline": _l("No network: your spots are kept on this phone."),
    # A questionnaire's answers (an appropriation survey), counted apart from spots
    "sync.answers_one": _l("Your answers are waiting to be sent"),
    "sync.answers_many": _l("%(n)s questionnaires waiting to be sent"),
    "sync.answers_refused": _l("The server refused your answers."),
    "sync.offline_answers": _l("No network: your answers are kept on this phone."),
    # Join and consent (the walk's facts reuse the catalog's existing sentences)
    "walk.event": _l("Event"),
    "walk.when": _l("When"),
    "walk.meeting_point": _l("Meeting point"),
    "walk.code": _l("Code"),
    "walk.planned": _l("This walk has not started yet. Come back at the meeting time."),
    "walk.closed": _l("This walk is over. Thank you to everyone who took part."),
    "walk.probably_over": _l(
        "The walk's planned end has passed: a new spot is kept on this phone and will be sent "
        "if the walk is still open."
    ),
    "join.before": _l("Before you start"),
    "consent.collected": _l(
        "What is recorded: the spots you tag (place, time, how you feel, what is there), "
        "and your photos and comments if you add some."
    ),
    "consent.collected_survey": _l(
        "What is recorded: your answers to the questionnaire (about 2 minutes). "
        "You can skip any question."
    ),
    "consent.anonymous": _l(
        "It is anonymous: no name, no phone number, no e-mail address. "
        "Questions about you are optional."
    ),
    "consent.controller": _l(
        "Responsible for the data: %(controller)s. The data is used to improve public spaces."
    ),
    # The project's retention (services.retention); "_one" for 1 month (no plural forms here).
    "consent.retention": _l("Kept for %(months)s months after the project closes, then erased."),
    "consent.retention_one": _l("Kept for 1 month after the project closes, then erased."),
    "consent.erase": _l(
        "You can erase everything at any time: in “My spots”, or with the erasure code "
        "you will get next, even if you lose your phone."
    ),
    "consent.privacy": _l("Privacy: what is kept, why, for how long, how to erase it"),
    "consent.agree": _l("I understand and I agree to take part"),
    "consent.guardian": _l("I am under 15: a parent or guardian agrees"),
    "consent.track": _l("Also record my route during the walk (optional)"),
    "consent.track_hint": _l(
        "Only while walkapp is open on the screen: phones stop recording when the screen locks."
    ),
    "consent.continue": _l("Continue"),
    "consent.required": _l("Tick “I agree” to take part."),
    "home": _l("Back to the home page"),
    # Profile
    "profile.title": _l("A few questions (optional)"),
    "profile.intro": _l("You can skip them. They help to know who took part."),
    "profile.gender": _l("You are"),
    "profile.age": _l("Your age"),
    "profile.resident": _l("Where you live"),
    "profile.mobility": _l("Getting around"),
    "profile.join": _l("Join the walk"),
    "profile.skip": _l("Skip and join"),
    "profile.join_survey": _l("Answer the questionnaire"),
    "profile.skip_survey": _l("Skip and answer"),
    "profile.guardian_needed": _l("Under 15: tick the box if a parent or guardian agrees."),
    "join.joining": _l("Joining…"),
    "join.offline": _l("No network. Try again when you have signal."),
    "join.closed": _l("This walk does not take participants now."),
    "join.unknown": _l("This code does not exist."),
    "join.error": _l("Something went wrong. Try again."),
    # Erasure code, shown after joining, then again on demand (“My spots”)
    "code.title": _l("Your erasure code"),
    "code.done": _l("I wrote it down"),
    "code.keep": _l(
        "Write it down on paper, take a photo of it, copy it or save it. It erases all your "
        "data, even if you lose your phone. You can see it again in “My spots” as long as "
        "this phone keeps your walk."
    ),
    "code.copy": _l("Copy the code"),
    "code.copied": _l("Code copied."),
    "code.save": _l("Save the code"),
    "code.saved": _l("Code saved."),
    "code.not_saved": _l("This phone could not copy or save it: write it down."),
    "code.file": _l("My walkapp erasure code: %(code)s"),
    # Tag a spot
    "tag.title": _l("Tag a spot"),
    "pos.searching": _l("Looking for your position…"),
    "pos.precise": _l("Position: precise (within %(m)s m)"),
    "pos.fair": _l("Position: fairly precise (within %(m)s m)"),
    "pos.rough": _l("Position: rough (within %(m)s m). Check the pin on the map."),
    "pos.poor": _l("Position: poor (within %(m)s m). Move the pin on the map."),
    "pos.none": _l("No position yet: place the pin on the map."),
    "pos.denied": _l("Location is off for walkapp: place the pin on the map."),
    "pos.manual": _l("Pin placed by hand."),
    "pos.help": _l(
        "To turn location back on: in the browser's site settings, choose Location, then "
        "Allow. On Android, also turn on the phone's Location switch."
    ),
    "pos.retry": _l("Try again"),
    "feeling.legend": _l("1. How do you feel here?"),
    "category.legend": _l("2. What is it about? Tapping saves the spot."),
    "feeling.first": _l("First choose how you feel."),
    "saved.local": _l("Spot saved on this phone. It will be sent as soon as there is network."),
    "saved.sent": _l("Spot saved and sent."),
    "saved.if_open": _l("Spot saved on this phone. It will be sent if the walk is still open."),
    "saved.pending": _l(
        "Position to confirm: tap the map where the spot is. Until then it waits on this phone."
    ),
    "pending.stops": _l("Or choose the stop where you are"),
    "pending.cancel": _l("Give up this spot"),
    "details.title": _l("Add more (optional)"),
    "photo.take": _l("Take a photo"),
    "photo.reminder": _l("No faces, no number plates."),
    "photo.working": _l("Preparing the photo…"),
    "photo.saved": _l("Photo saved on this phone."),
    "photo.failed": _l("This photo could not be read. Try another one."),
    "comment.label": _l("Comment"),
    "ratings.summary": _l("Rate the criteria"),
    "ratings.hint": _l("From 0 (very bad) to 3 (very good). Skip what you do not know."),
    "rating.0": _l("Very bad"),
    "rating.1": _l("Bad"),
    "rating.2": _l("Good"),
    "rating.3": _l("Very good"),
    "details.save": _l("Save the details"),
    "details.saved": _l("Details saved."),
    "tag.another": _l("Tag another spot"),
    "map.title": _l("Position of the spot"),
    "map.label": _l("Map: tap it to place the pin"),
    "pin.centre": _l("Put the pin at the centre of the map"),
    "pin.gps": _l("Back to my GPS position"),
    "pin.use_gps": _l("Use my GPS position (within %(m)s m)"),
    "harassment.title": _l("walkapp alerts no one"),
    "harassment.text": _l(
        "This spot is read later by the people who organise the walk. "
        "If you are in danger or need help now, call:"
    ),
    "harassment.17": _l("17: police"),
    "harassment.112": _l("112: emergency number"),
    "harassment.114": _l("114 by text message, if you cannot speak"),
    "harassment.3919": _l("3919: Violences Femmes Info (free, anonymous)"),
    # The Belgian preset's (config.EMERGENCY_PRESETS): keys, so that the list switches language
    "harassment.101": _l("101: police"),
    "harassment.080030030": _l("0800 30 030: Écoute Violences Conjugales (free, anonymous)"),
    # The header's control to the numbers (config.emergency_numbers), on every screen
    "emergency.title": _l("Emergency numbers"),
    "emergency.hide": _l("Hide the numbers"),
    # Stop rating
    "stop.title": _l("Rate a stop"),
    "stop.none": _l("This walk has no planned stops."),
    "stop.which": _l("Which stop?"),
    "stop.name": _l("Stop %(n)s: %(name)s"),
    "stop.feeling": _l("How do you feel at this stop?"),
    "stop.criteria": _l("The nine criteria"),
    "stop.category": _l("What stands out most"),
    "stop.save": _l("Save the rating"),
    "stop.saved": _l("Rating saved on this phone."),
    "stop.need_feeling": _l("Choose how you feel at this stop."),
    # My spots
    "spots.title": _l("My spots"),
    "spots.empty": _l("No spot yet."),
    "spots.map": _l("Map of my spots"),
    "spots.item": _l("Spot %(n)s: %(what)s"),
    "spots.marker": _l("Spot %(n)s on the map: %(state)s"),
    "spots.edit_short": _l("Edit"),
    "spots.edit": _l("Edit spot %(n)s"),
    "spots.delete_short": _l("Delete"),
    "spots.delete": _l("Delete spot %(n)s"),
    "spots.confirm_delete": _l("Delete this spot?"),
    "spots.yes_delete": _l("Yes, delete"),
    "spots.cancel": _l("Cancel"),
    "spots.dismiss": _l("Remove from the list"),
    "spots.photo": _l("Photo of spot %(n)s"),
    "state.sent": _l("Sent"),
    "state.waiting": _l("Waiting to be sent"),
    "state.deleting": _l("Will be deleted"),
    "state.problem": _l("Not sent: %(message)s"),
    "problem.closed": _l("the walk is over, it can no longer be changed"),
    "problem.invalid": _l("the server refused it (%(detail)s)"),
    "problem.conflict": _l("another spot already uses this number"),
    "problem.session": _l("this phone is no longer registered for the walk"),
    "problem.too_big": _l("it is too large"),
    "problem.gone": _l("this spot no longer exists on the server"),
    "problem.track": _l("Part of your route could not be sent."),
    "problem.join": _l("The walk did not take your joining: your spots cannot be sent."),
    "erase.all_title": _l("Erase all my data"),
    "erase.all_text": _l(
        "Your spots, photos, route and answers are erased from the server and from this "
        "phone. This cannot be undone."
    ),
    "erase.confirm": _l("Yes, erase everything"),
    "erase.needs_network": _l("Erasing needs the network. Try again when you have signal."),
    "erased.title": _l("Your data was erased"),
    "erased.text": _l("Thank you for taking part."),
    "erased.elsewhere": _l(
        "Your data was erased with your erasure code. This phone no longer keeps any of it."
    ),
    # Erasure with the code (lost phone)
    "erase.title": _l("Erase my data with my code"),
    "erase.intro": _l(
        "Type the erasure code you got when you joined the walk. Everything is erased: "
        "spots, photos, route and answers."
    ),
    "erase.label": _l("Erasure code"),
    "erase.button": _l("Erase"),
    "erase.unknown": _l("This code does not exist. Check it and try again."),
    "erase.too_many": _l("Too many wrong codes. Wait ten minutes, then try again."),
    # No walk yet
    "nowalk.title": _l("You have not joined a walk yet"),
    "nowalk.text": _l("Scan the walk's QR code, or type its code on the home page."),
    # Edit
    "edit.title": _l("Edit the spot"),
    "edit.category": _l("What is it about?"),
    "edit.save": _l("Save the changes"),
    "edit.saved": _l("Changes saved on this phone."),
    "edit.closed": _l("The walk is over: spots can no longer be changed."),
    # Route trace
    "track.on": _l("Your route is recorded while walkapp is open."),
    "track.pause": _l("Pause the route"),
    "track.resume": _l("Record the route again"),
    "track.paused": _l("Route recording paused."),
    # The appropriation questionnaire (survey.js): one question per screen
    # What a screen reader says of the progress (« 3 / 12 » is shown, the same in every language)
    "survey.progress": _l("Question %(n)s of %(total)s"),
    "survey.zone": _l("Where are you?"),
    "survey.dont_know": _l("I don't know"),
    "survey.next": _l("Next"),
    "survey.skip": _l("Skip"),
    "survey.back": _l("Back"),
    "survey.choose_many": _l("Choose all that apply, then “Next”."),
    "survey.range_hint": _l("From %(start)s to %(end)s"),
    "survey.need_integer": _l("Type a whole number, or skip."),
    "survey.need_number": _l("Type a number, or skip."),
    "survey.out_of_range": _l("Type a number from %(start)s to %(end)s, or skip."),
    "survey.off_step": _l("Type a number in steps of %(step)s, or skip."),
    "survey.position_use": _l("Use my position"),
    "survey.position_at": _l("Your position is known (within %(m)s m)."),
    "survey.position_none": _l("No position yet. You can skip this question."),
    "survey.position_denied": _l("Location is off for walkapp. You can skip this question."),
    "thanks.title": _l("Thank you"),
    "thanks.local": _l(
        "Your answers are saved on this phone. They will be sent as soon as there is network."
    ),
    "thanks.sent": _l("Your answers are sent."),
    "thanks.refused": _l("Your answers could not be sent: the server refused them."),
    # Home
    "home.continue": _l("Back to my walk"),
    "home.erase": _l("Erase my data with my code"),
}


def catalog() -> dict[str, dict[str, str]]:
    """Every catalog language, for the app to switch offline: {"fr": {key: text}, ...}."""
    return in_every_language(lambda: {key: str(text) for key, text in STRINGS.items()})


def text(key: str, **values: object) -> str:
    """One sentence in the page's language, with its `%(name)s` values filled in."""
    result = str(STRINGS[key])
    return result % values if values else result
