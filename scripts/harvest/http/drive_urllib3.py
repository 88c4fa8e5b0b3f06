#!/usr/bin/env python3
"""A requests-based long-polling bot (as pyTelegramBotAPI-style bots are) with
urllib3 retries configured, against the loopback fault server.

usage: drive_urllib3.py SCENARIO FORMAT [SECONDS]      drive_urllib3.py --list
"""
import logging
import sys
import time

from common import TOKEN, FaultServer, closed_port_base, setup_logging
from common import cycle as common_cycle

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def cycle(fail, n_fail):
    """Plans three hundred requests long (urllib3 retries more per poll)."""
    return common_cycle(fail, n_fail, total=300)


SCENARIOS = {
    # noise: urllib3 retries, and the request gets through in the end
    "reset_recovers": {"getUpdates": cycle("reset", 2)},
    "close_recovers": {"getUpdates": cycle("close", 2)},
    "hang_recovers": {"getUpdates": cycle("hang", 1)},
    "e502_recovers": {"getUpdates": cycle("e502", 2)},
    # the retries run out: urllib3's lines are noise, the bot's error is the signal
    "refused": None,
    "reset": {"getUpdates": cycle("reset", 6)},
    "close": {"getUpdates": cycle("close", 6)},
    "garbage": {"getUpdates": cycle("garbage", 6)},
    "partial": {"getUpdates": cycle("partial", 6)},
    "e502": {"getUpdates": cycle("e502", 6)},
    "e409": {"getUpdates": "e409"},
}

log = logging.getLogger("bot")


def main():
    if sys.argv[1] == "--list":
        print(" ".join(SCENARIOS))
        return
    scenario, fmt = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    setup_logging(fmt)
    plans = SCENARIOS[scenario]
    server = None
    if plans is None:
        base = closed_port_base()
    else:
        server = FaultServer(plans, lifetime=seconds + 15)
        base = server.base
    retry = Retry(total=3, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504),
                  allowed_methods=None)
    s = requests.Session()
    s.mount("http://", HTTPAdapter(max_retries=retry))
    url = f"{base}/bot{TOKEN}/getUpdates"
    end = time.monotonic() + seconds
    offset = 0
    try:
        while time.monotonic() < end:
            try:
                r = s.post(url, json={"offset": offset, "timeout": 1}, timeout=(2, 3))
                data = r.json()
                if not data.get("ok"):
                    log.error("getUpdates failed: %s", data.get("description"))
                    time.sleep(1)
            except requests.RequestException:
                # What a bot's polling loop does with an exhausted request.
                log.exception("poll failed")
                log.warning("Retrying in 1 second")
                time.sleep(1)
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
