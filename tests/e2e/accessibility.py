"""Keyboard and label checks of a form, in the browser (WCAG 1.3.1, 2.1.1, 2.4.3, 2.4.7, 4.1.2).

``check_form(page, form, submit="Save")``:

- every visible control of the form (input, select, textarea, button) has an accessible name:
  a ``<label for>``, ``aria-label`` or ``aria-labelledby`` with text (buttons: their text);
- starting from the form's first control, Tab reaches the submit button, and on the way it
  stops on every visible field of the form (none is skipped or unreachable by keyboard);
- the focused control shows a visible focus indicator (outline or box-shadow) under
  ``:focus-visible``, i.e. when focused from the keyboard.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page

#: The controls a form is filled with (hidden inputs are not controls).
FIELDS = "input:not([type=hidden]), select, textarea"

ACCESSIBLE_NAME = """(el) => {
  const text = (s) => (s || "").replace(/\\s+/g, " ").trim();
  if (el.getAttribute("aria-labelledby")) {
    return text(el.getAttribute("aria-labelledby").split(/\\s+/)
      .map((id) => document.getElementById(id)).filter(Boolean)
      .map((node) => node.textContent).join(" "));
  }
  if (text(el.getAttribute("aria-label"))) return text(el.getAttribute("aria-label"));
  if (el.labels && el.labels.length) return text([...el.labels].map((l) => l.textContent).join(" "));
  if (el.tagName === "BUTTON") return text(el.textContent);
  if (el.type === "submit" || el.type === "button") return text(el.value);
  return text(el.getAttribute("title"));
}"""

FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return {
    key: el.dataset.a11yKey || null,
    tag: el.tagName,
    name: el.name || el.textContent.trim().slice(0, 40),
    focusVisible: el.matches(":focus-visible"),
    indicator: Boolean(outline || shadow),
  };
}"""


def _visible(locator: Locator) -> list[Locator]:
    return [item for item in locator.all() if item.is_visible()]


def check_form(page: Page, form: Locator, *, submit: str, max_tabs: int = 200) -> list[str]:
    """Run the checks above on ``form``; returns the accessible names of its fields.

    Raises AssertionError naming the control at fault.
    """
    fields = _visible(form.locator(FIELDS))
    assert fields, "the form has no visible field"
    names: dict[str, str] = {}
    for index, field in enumerate(fields):
        name = field.evaluate(ACCESSIBLE_NAME)
        html = field.evaluate("(el) => el.outerHTML.slice(0, 120)")
        assert name, f"a field has no accessible name (label): {html}"
        # Tab stops once on a group of radio buttons (arrows move inside it).
        group = field.evaluate("(el) => el.type === 'radio' ? el.name : ''")
        key = f"radio:{group}" if group else f"f{index}"
        field.evaluate("(el, key) => { el.dataset.a11yKey = key; }", key)
        names.setdefault(key, name)
    button = form.get_by_role("button", name=submit, exact=True)
    assert button.evaluate(ACCESSIBLE_NAME) == submit
    button.evaluate("(el) => { el.dataset.a11yKey = 'submit'; }")

    # Keyboard only from here: focus the first field, then Tab through the form.
    fields[0].focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    seen: list[str] = []
    for _press in range(max_tabs):
        focused = page.evaluate(FOCUS)
        assert focused is not None, (
            f"Tab never reached the {submit!r} button (focus left the page after {seen})"
        )
        if focused["key"] is not None and focused["key"] not in seen:
            seen.append(focused["key"])
            assert focused["focusVisible"] and focused["indicator"], (
                f"no visible focus indicator on {focused['tag']} {focused['name']!r}"
            )
        if focused["key"] == "submit":
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"Tab never reached the {submit!r} button (stopped on {seen})")
    missed = [name for key, name in names.items() if key not in seen]
    assert not missed, f"Tab skips these fields before {submit!r}: {missed}"
    return list(names.values())
