"""The emergency numbers shown with "walkapp alerts no one": a setting of the deployment
(WALKAPP_EMERGENCY_NUMBERS), France by default, given to the participant app's configuration."""

from __future__ import annotations

import pytest

from walkapp.config import parse_emergency_numbers, settings_from_env


def _numbers(parsed) -> list[tuple[str, str]]:
    return [(n["scheme"], n["number"]) for n in parsed]


def test_france_is_the_default():
    default = settings_from_env({})["EMERGENCY_NUMBERS"]
    assert _numbers(default) == [("tel", "17"), ("tel", "112"), ("sms", "114"), ("tel", "3919")]
    assert all(n["label"] == "" for n in default)  # a preset's labels come from the catalogs


def test_the_belgian_preset_and_a_deployment_s_own_list():
    assert _numbers(parse_emergency_numbers("BE")) == [
        ("tel", "112"),
        ("tel", "101"),
        ("tel", "0800 30 030"),
    ]
    own = parse_emergency_numbers("17=Police ; sms:114=Par SMS, si vous ne pouvez pas parler")
    assert _numbers(own) == [("tel", "17"), ("sms", "114")]
    assert own[1]["label"] == "Par SMS, si vous ne pouvez pas parler"


@pytest.mark.parametrize("text", ["de", "17", "17=", "fax:17=Fax", "abc=Police", ";"])
def test_a_wrong_setting_stops_the_start_with_a_sentence(text):
    with pytest.raises(ValueError, match="WALKAPP_EMERGENCY_NUMBERS"):
        settings_from_env({"WALKAPP_EMERGENCY_NUMBERS": text})


def _app_config(app, client):
    from walkapp.participate import shell_config

    with app.test_request_context("/app"):
        return shell_config()["emergency_numbers"]


def test_the_app_gets_the_french_numbers_with_both_languages(app, client):
    numbers = _app_config(app, client)
    assert [n["href"] for n in numbers] == ["tel:17", "tel:112", "sms:114", "tel:3919"]
    assert [n["sms"] for n in numbers] == [False, False, True, False]
    assert numbers[3]["label"]["en"] == "3919: Violences Femmes Info (free, anonymous)"
    assert set(numbers[3]["label"]) >= {"fr", "en"}
    page = client.get("/app").get_data(as_text=True)
    assert '"emergency_numbers"' in page  # in the page's JSON configuration


class TestBelgium:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"EMERGENCY_NUMBERS": parse_emergency_numbers("be")}

    def test_the_app_gets_the_belgian_numbers(self, app, client):
        numbers = _app_config(app, client)
        assert [n["href"] for n in numbers] == ["tel:112", "tel:101", "tel:080030030"]
        assert numbers[1]["label"]["en"] == "101: police"
        assert numbers[2]["number"] == "0800 30 030"


class TestOwnList:
    @pytest.fixture
    def app_config(self) -> dict:
        return {"EMERGENCY_NUMBERS": parse_emergency_numbers("sms:114=Écrire au 114")}

    def test_its_labels_are_shown_as_written_in_every_language(self, app, client):
        (number,) = _app_config(app, client)
        assert number["href"] == "sms:114" and number["sms"] is True
        assert set(number["label"].values()) == {"Écrire au 114"}
