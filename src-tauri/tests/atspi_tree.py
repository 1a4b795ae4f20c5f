"""Prints the accessibility tree of the running Bridgekeeper window, as AT-SPI exposes it, as JSON.

Run by the real-window test (src-tauri/tests/window.rs) with Debian's /usr/bin/python3, which has the
GObject bindings (python3-gi, gir1.2-atspi-2.0); the test then checks names and headings. Output: one
list of {"role", "name", "depth"} per node of every application named as the first argument.
"""

import json
import sys

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

MAX_DEPTH = 80


def walk(node, out, depth):
    if node is None or depth > MAX_DEPTH:
        return
    try:
        role = node.get_role_name()
        name = node.get_name() or ""
        count = node.get_child_count()
    except gi.repository.GLib.Error:
        # A node that went away while walking (the page re-rendered): skip it.
        return
    out.append({"role": role, "name": name, "depth": depth})
    for i in range(count):
        try:
            child = node.get_child_at_index(i)
        except gi.repository.GLib.Error:
            continue
        walk(child, out, depth + 1)


def main():
    app_name = sys.argv[1]
    desktop = Atspi.get_desktop(0)
    out = []
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is not None and app.get_name() == app_name:
            walk(app, out, 0)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
