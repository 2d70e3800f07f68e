"""``python -m bench --peers``: minderd beside supervisord, Circus, PM2, s6 and runit.

The same scenarios (bench/peers/scenarios.py) run against each tool with
its defaults, with one small C child program (child.c) built at bench time;
peers are installed into a bench-only cache on first use (install.py).
"""
