#!/usr/bin/python3
# A notification daemon that hangs: it owns org.freedesktop.Notifications on a private
# session bus and never answers a call, as a wedged daemon would. test-notifier.sh checks
# that the kiosk's screen keeps running meanwhile.
import sys
from gi.repository import Gio, GLib

XML = """<node><interface name="org.freedesktop.Notifications">
  <method name="GetCapabilities"><arg type="as" direction="out"/></method>
  <method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/>
    <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="s" direction="in"/>
    <arg type="as" direction="in"/><arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
    <arg type="u" direction="out"/></method>
  <method name="GetServerInformation"><arg type="s" direction="out"/><arg type="s" direction="out"/>
    <arg type="s" direction="out"/><arg type="s" direction="out"/></method>
</interface></node>"""
held = []


def call(conn, sender, path, iface, method, params, invocation):
    held.append(invocation)   # never answered
    sys.stdout.write(f"{method}\n")
    sys.stdout.flush()


def acquired(conn, name):
    sys.stdout.write("ready\n")
    sys.stdout.flush()


bus = Gio.bus_get_sync(Gio.BusType.SESSION)
bus.register_object("/org/freedesktop/Notifications",
                    Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0], call)
Gio.bus_own_name_on_connection(bus, "org.freedesktop.Notifications", 0, acquired, None)
GLib.MainLoop().run()
