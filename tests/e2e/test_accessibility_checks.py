"""The form checker of the journey (accessibility.check_form) fails where it must."""

from __future__ import annotations

import pytest

from .accessibility import check_form

STYLE = "<style>:focus-visible { outline: 3px solid #0a76f6; }</style>"


def form_page(browser, body: str, style: str = STYLE):
    context = browser.new_context()
    page = context.new_page()
    page.set_content(f"<html><head>{style}</head><body><form>{body}</form></body></html>")
    return page


def test_check_form_accepts_a_labelled_keyboard_form(browser):
    page = form_page(
        browser,
        '<label for="a">Objet</label><input id="a"><select aria-label="Type"><option>x</option>'
        '</select><input type="radio" name="r" aria-label="Yes"><input type="radio" name="r" '
        'aria-label="No"><button type="submit">Save</button>',
    )

    assert check_form(page, page.locator("form"), submit="Save") == ["Objet", "Type", "Yes"]
    page.context.close()


@pytest.mark.parametrize(
    ("body", "style", "message"),
    [
        (
            '<input id="a" name="objet"><button type="submit">Save</button>',
            STYLE,
            "a field has no accessible name (label)",
        ),
        (
            '<label for="a">Objet</label><input id="a" tabindex="-1"><button>Save</button>',
            STYLE,
            "Tab skips these fields before 'Save': ['Objet']",
        ),
        (
            '<label for="a">Objet</label><input id="a"><button tabindex="-1">Save</button>',
            STYLE,
            "Tab never reached the 'Save' button",
        ),
        (
            '<label for="a">Objet</label><input id="a"><button>Save</button>',
            "<style>:focus-visible { outline: none; box-shadow: none; }</style>",
            "no visible focus indicator on INPUT",
        ),
    ],
    ids=["no-label", "field-out-of-tab-order", "submit-out-of-tab-order", "no-focus-indicator"],
)
def test_check_form_refuses(browser, body, style, message):
    page = form_page(browser, body, style)

    with pytest.raises(AssertionError) as error:
        check_form(page, page.locator("form"), submit="Save")

    assert str(error.value).startswith(message)
    page.context.close()
