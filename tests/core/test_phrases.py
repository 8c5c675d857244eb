"""Timeline reasons written in one language and read in another."""

from django.utils import translation

from procurement.core.phrases import Phrase, key_of, phrase, phrase_text


def test_a_phrase_is_the_sentence_in_the_active_language_and_remembers_its_id():
    with translation.override("en"):
        sent = phrase("Quote %(q)s sent", q="Q-7")

    assert isinstance(sent, str)
    assert sent == "Quote Q-7 sent"
    assert key_of(sent) == {"msgid": "Quote %(q)s sent", "values": {"q": "Q-7"}}
    with translation.override("zh-hans"):
        assert phrase_text(key_of(sent), sent) == "报价 Q-7 已发送"
    with translation.override("en"):
        assert phrase_text(key_of(sent), sent) == "Quote Q-7 sent"


def test_values_are_kept_as_text():
    sent = phrase("Replacement received: %(n)s of %(ordered)s.", n=3, ordered=10)

    assert sent.key["values"] == {"n": "3", "ordered": "10"}


def test_plain_text_and_keys_that_no_longer_fit_fall_back_to_what_was_written():
    assert key_of("typed by a person") == {}
    assert phrase_text({}, "typed by a person") == "typed by a person"
    assert phrase_text(None, "as written") == "as written"
    # A placeholder renamed since the row was written.
    stale = {"msgid": "Quote %(q)s sent", "values": {"quote": "Q-7"}}
    assert phrase_text(stale, "Quote Q-7 sent") == "Quote Q-7 sent"


def test_a_phrase_is_a_plain_str_subclass():
    assert issubclass(Phrase, str)
    assert type(str(phrase("Declared"))) is str
