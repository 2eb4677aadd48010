"""The allow-list that decides what of a comment, post or author is landed (connectors/allowlist.py)."""

from __future__ import annotations

from connectors.allowlist import NUMBERS, SCALAR, keep, redact_linkedin_mentions, redact_spans

SPEC = {"id": SCALAR, "message": {"text": SCALAR}, "counts": NUMBERS}


def test_a_field_the_network_adds_tomorrow_is_dropped() -> None:
    comment = {"id": "1", "message": {"text": "hi", "attributes": [{"person": "urn:li:person:x"}]},
               "agent": "urn:li:person:x", "brandNewField": {"name": "Erika"}}  # fmt: skip
    assert keep(comment, SPEC) == {"id": "1", "message": {"text": "hi"}}


def test_an_absent_count_stays_absent_and_objects_of_numbers_keep_only_numbers() -> None:
    assert keep({"id": "1"}, SPEC) == {"id": "1"}
    assert keep({"counts": {"like": 3, "who": "Erika", "city": {"Berlin": 2}}}, SPEC) == {
        "counts": {"like": 3, "city": {"Berlin": 2}}
    }


def test_a_declared_scalar_that_arrives_as_an_object_is_dropped() -> None:
    assert keep({"id": {"name": "Erika", "id": "42"}}, SPEC) == {}


def test_tagged_people_and_linkedin_person_mentions_become_a_placeholder() -> None:
    assert redact_spans("Danke Erika Muster!", [(6, 12)]) == "Danke @…!"
    text = "Mit @[Erika Muster](urn:li:person:abc) bei @[Acme GmbH](urn:li:organization:9)"
    assert redact_linkedin_mentions(text) == "Mit @… bei @Acme GmbH"
