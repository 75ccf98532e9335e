"""Emails: one normal form (NFKC, IDNA), and look-alikes of an existing address refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workforce.contractors.emails import normalise_email, skeleton
from workforce.errors import InvalidInput

#: Cyrillic and Greek letters that look like Latin ones (Unicode confusables.txt).
LOOKALIKES = {"a": "а", "e": "е", "o": "ο", "p": "р", "c": "с", "y": "у", "x": "х", "i": "і"}
LOCAL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=20)


@given(text=st.text(max_size=30))
def test_a_skeleton_is_a_fixed_point(text: str) -> None:
    assert skeleton(skeleton(text)) == skeleton(text)


@given(local=LOCAL, swaps=st.sets(st.sampled_from(sorted(LOOKALIKES))))
def test_look_alike_letters_share_a_skeleton(local: str, swaps: set[str]) -> None:
    disguised = "".join(LOOKALIKES[c] if c in swaps else c for c in local)
    assert skeleton(f"{disguised}@example.org") == skeleton(f"{local}@example.org")
    assert skeleton(local.upper()) == skeleton(local)


@given(local=LOCAL.filter(lambda s: s[0] not in ".-" and s[-1] != "." and ".." not in s))
def test_the_normal_form_is_a_fixed_point(local: str) -> None:
    first = normalise_email(f"{local}@Bücher.example")
    assert normalise_email(first.address) == first


def test_nfkc_and_idna_give_one_form() -> None:
    forms = {
        normalise_email(raw).address
        for raw in ("user@bücher.de", " USER@BÜCHER.DE ", "ｕｓｅｒ@xn--bcher-kva.de")
    }
    assert forms == {"user@bücher.de"}
    with pytest.raises(InvalidInput) as refused:
        normalise_email("user@@example.org")
    assert "email" in refused.value.errors


def contractor(n: int, email: str) -> dict[str, str]:
    return {"full_name": f"C {n}", "email": email, "country": "KE", "external_ref": f"e{n}"}


def test_a_look_alike_of_an_existing_email_is_409(client, ops) -> None:
    def create(n: int, email: str):
        return client.post("/api/v1/contractors", json=contractor(n, email), headers=ops)

    first = create(1, "paypal@example.org")
    assert first.status_code == 201
    for n, email, code in (
        (2, "pаypal@example.org", "confusable_email"),  # Cyrillic а
        (3, "paypa1@examp1e.org", "confusable_email"),
        (4, "PayPal@EXAMPLE.org", "duplicate_email"),
        (5, "ｐａｙｐａｌ@example.org", "duplicate_email"),  # full-width: NFKC
    ):
        response = create(n, email)
        assert response.status_code == 409, email
        assert response.json["code"] == code
    other = create(6, "grace@bücher.de")
    assert other.status_code == 201
    assert other.json["email"] == "grace@bücher.de"
    assert create(7, "grace@xn--bcher-kva.de").json["code"] == "duplicate_email"
    url = f"/api/v1/contractors/{other.json['id']}"
    changed = client.patch(url, json={"email": "pаypаl@ехample.org"}, headers=ops)
    assert changed.status_code == 409 and changed.json["code"] == "confusable_email"
    # keeping one's own address (in another spelling) is no conflict
    same = client.patch(url, json={"email": "GRACE@xn--bcher-kva.de"}, headers=ops)
    assert same.status_code == 200 and same.json["email"] == "grace@bücher.de"
