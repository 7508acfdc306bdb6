"""Calls the registration server the way Sugar does (jarabe/desktop/schoolserver.py):
Python's xmlrpc.client, an 8 s socket timeout, then the keys Sugar reads.

Usage: sugar_register.py URL METHOD [PARAM...]
Prints one JSON line: what Sugar would read, or the fault it would raise.
"""
import json
import socket
import sys
import xmlrpc.client

_REGISTER_TIMEOUT = 8


def main():
    url, method, *params = sys.argv[1:]
    socket.setdefaulttimeout(_REGISTER_TIMEOUT)
    server = xmlrpc.client.ServerProxy(url)
    try:
        data = getattr(server, method)(*params)
    except xmlrpc.client.Fault as fault:
        print(json.dumps({'fault': fault.faultCode, 'faultString': fault.faultString}))
        return
    finally:
        socket.setdefaulttimeout(None)

    if data['success'] != 'OK':
        print(json.dumps({'success': data['success'], 'error': data['error']}))
        return
    # Sugar reads both keys without checking: a missing one raises KeyError here as it would there.
    print(json.dumps({'success': 'OK', 'jabberserver': data['jabberserver'], 'backupurl': data['backupurl']}))


main()
