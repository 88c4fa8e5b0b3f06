#!/usr/bin/env python3
"""A requests-based long-polling bot (as pyTelegramBotAPI-style bots are) with
urllib3 retries configured, against the loopback fault server.

usage: drive_urllib3.py SCENARIO OUT_PREFIX MODE [SECONDS]      drive_urllib3.py --list
MODE: see capture.py (layouts | noconfig | basic | asctime).

Works with urllib3 1.26 (requests 2.28: `Retry(method_whitelist=...)` is
deprecated there, `allowed_methods` exists since 1.26.0) and urllib3 2.x.
"""
import logging
import sys
import time

import capture
from common import FaultServer, closed_port_base, token_for
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
# the realistic token: where the token shows in what urllib3 and the bot print
TOKEN_SCENARIOS = {"token_reset": "reset"}

log = logging.getLogger("bot")


def main():
    if sys.argv[1] == "--list":
        print(" ".join([*SCENARIOS, *TOKEN_SCENARIOS]))
        return
    scenario, prefix, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 25
    cap = capture.start(prefix, mode)
    try:
        run(scenario, seconds)
    finally:
        cap.close()


def run(scenario, seconds):
    token = token_for({"realtoken": scenario in TOKEN_SCENARIOS})
    plans = SCENARIOS[TOKEN_SCENARIOS.get(scenario, scenario)]
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
    url = f"{base}/bot{token}/getUpdates"
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
