"""The wire: everything a client and the daemon must agree on.

Standard library only, so that ``minderctl`` can import it without loading
any of the server.
"""
