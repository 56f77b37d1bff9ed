#!/usr/bin/python3
# A stand-in for org.gnome.SessionManager on a private session bus: answers Inhibit with a
# cookie and logs each request ("Inhibit APP_ID FLAGS REASON") to the file given, so that
# test-kiosk.sh can check what the kiosk asked for. Xvfb has no screen saver to ask.
import sys
from gi.repository import Gio, GLib

XML = """<node><interface name="org.gnome.SessionManager">
  <method name="Inhibit"><arg type="s" direction="in"/><arg type="u" direction="in"/>
    <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="u" direction="out"/></method>
  <method name="Uninhibit"><arg type="u" direction="in"/></method>
  <method name="IsInhibited"><arg type="u" direction="in"/><arg type="b" direction="out"/></method>
</interface></node>"""
log = open(sys.argv[1], "a", buffering=1)
cookies = {}


def call(conn, sender, path, iface, method, params, invocation):
    if method == "Inhibit":
        app_id, _xid, reason, flags = params.unpack()
        cookie = len(cookies) + 42
        cookies[cookie] = flags
        log.write(f"Inhibit {app_id} {flags} {reason}\n")
        invocation.return_value(GLib.Variant("(u)", (cookie,)))
    elif method == "Uninhibit":
        cookies.pop(params.unpack()[0], None)
        log.write("Uninhibit\n")
        invocation.return_value(None)
    else:
        invocation.return_value(GLib.Variant("(b)", (bool(cookies),)))


def acquired(conn, name):
    log.write("ready\n")


bus = Gio.bus_get_sync(Gio.BusType.SESSION)
bus.register_object("/org/gnome/SessionManager", Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0], call)
Gio.bus_own_name_on_connection(bus, "org.gnome.SessionManager", 0, acquired, None)
GLib.MainLoop().run()
