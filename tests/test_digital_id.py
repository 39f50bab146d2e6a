"""The digital documents adapter against the local fake service."""

import pytest

from attestation.digital_id import (DigitalDocumentsClient, DocumentNotFound, NotIdentityDocument,
                                    ServiceDown, same_name)
from fake_services.digital_id import FakeDigitalDocuments


@pytest.fixture
def fake():
    f = FakeDigitalDocuments(key="secret")
    yield f
    f.stop()


def test_resolves_an_identity_card(fake):
    fake.add("qr-1", iin="880412450773", last_name="Әбенова", first_name="Әйгерім",
             middle_name="Нұрланқызы", number="045123456")
    doc = DigitalDocumentsClient(fake.url, "secret").resolve("qr-1")
    assert (doc.iin, doc.last_name, doc.middle_name, doc.type, doc.number) == (
        "880412450773", "Әбенова", "Нұрланқызы", "identity_card", "045123456")


def test_passport_is_an_identity_document_licence_is_not(fake):
    fake.add("p", iin="880412450773", last_name="A", first_name="B", doc_type="passport")
    fake.add("l", iin="880412450773", last_name="A", first_name="B", doc_type="driver_license")
    client = DigitalDocumentsClient(fake.url, "secret")
    assert client.resolve("p").type == "passport"
    with pytest.raises(NotIdentityDocument):
        client.resolve("l")


def test_unknown_qr(fake):
    with pytest.raises(DocumentNotFound):
        DigitalDocumentsClient(fake.url, "secret").resolve("nothing")


def test_timeout_is_service_down(fake):
    fake.add("q", iin="880412450773", last_name="A", first_name="B")
    fake.delay = 0.6
    with pytest.raises(ServiceDown) as err:
        DigitalDocumentsClient(fake.url, "secret", timeout=0.2).resolve("q")
    assert err.value.code == "identity_service_down"


def test_errors_and_wrong_key_are_service_down(fake):
    fake.fail = True
    with pytest.raises(ServiceDown):
        DigitalDocumentsClient(fake.url, "secret").resolve("q")
    fake.fail = False
    with pytest.raises(ServiceDown):
        DigitalDocumentsClient(fake.url, "wrong").resolve("q")


def test_unreachable_service():
    with pytest.raises(ServiceDown):
        DigitalDocumentsClient("http://127.0.0.1:9", "k", timeout=0.5).resolve("q")


def test_same_name():
    assert same_name("Семёнова", "СЕМЕНОВА ")
    assert same_name("Әбенова", "әбенова")
    assert not same_name("Абенова", "Әбенова")


def test_the_stand_in_keeps_no_access_log(fake, caplog):
    """``make demo`` prints its log beside the ``scan>`` prompt: the stand-in says nothing."""
    import logging
    with caplog.at_level(logging.DEBUG, logger="werkzeug"):
        fake.add("qr-quiet", iin="880412450773", last_name="Тестова", first_name="Ә")
        assert DigitalDocumentsClient(fake.url, "secret").resolve("qr-quiet").iin == "880412450773"
    assert fake.requests == 1 and not [r for r in caplog.records if r.name == "werkzeug"]
