"""Checks of the MTProto record classifier and of the trimming.

    python3 -m unittest scripts/harvest/mtproto/test_label.py

Each case is a record as layouts.py writes it, with a message and logger
taken from the harvest (TEMPLATES.md); the expected label is the decision
the README's "Labels" section states for it.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from label import choose  # noqa: E402
from trim_and_label import classify, classify_record  # noqa: E402


def rec(logger, level, msg, exc=None, kind="log", tb_module=False, chain=(), rid=0, size=80, template=None):
    return {"id": rid, "start": 0, "end": size, "kind": kind, "logger": logger, "level": level, "msg": msg,
            "exc_type": exc, "exc_msg": None, "exc_chain": list(chain), "tb_module": tb_module,
            "template": template}


class Classify(unittest.TestCase):
    def check(self, want, *cases):
        for e in cases:
            with self.subTest(msg=e["msg"][:60], logger=e["logger"]):
                self.assertEqual(classify_record(e), want)

    def test_crashes_and_auth_errors_are_signals(self):
        self.check(
            "signal",
            rec(None, None, "Traceback (most recent call last):\n...", "builtins.ConnectionError", "stderr", True),
            rec("pyrogram.dispatcher", "ERROR", "Telegram says: [401 AUTH_KEY_UNREGISTERED] - The key is not "
                "registered", "pyrogram.errors.exceptions.unauthorized_401.AuthKeyUnregistered"),
            rec("pyrogram.session.session", "WARNING", 'Server sent "-404"'),
            rec("pyrofork.session.session", "WARNING", "Server sent transport error: 404 (auth key not found)"),
            rec("telethon.network.mtprotosender", "INFO",
                "Server does not know about the current auth key; the session may need to be recreated"),
        )

    def test_wrong_clock_is_a_signal_in_every_version(self):
        self.check(
            "signal",
            rec("pyrogram.dispatcher", "ERROR", "[16] The msg_id is too low, the client time has to be synchronized.",
                "pyrogram.errors.BadMsgNotification"),
            rec("pyrogram.session.session", "INFO", "Discarding packet: The msg_id belongs to over 30 seconds in "
                "the future. Most likely the client time has to be synchronized."),
            rec("telethon.network.mtprotostate", "WARNING",
                "Server sent a very new message with ID 7715467554749646241, ignoring (see FAQ for details)"),
            rec("telethon.network.mtprotosender", "WARNING", "Security error while unpacking a received message: "
                "Too many messages had to be ignored consecutively"),
            rec("telethon.network.mtprotosender", "INFO", "System clock is wrong, set time offset to 600s"),
        )

    def test_handler_errors(self):
        self.check(
            "signal",
            rec("pyrogram.dispatcher", "ERROR", "boom in handler", "builtins.ValueError"),
            rec("hydrogram.dispatcher", "ERROR", 'Telegram says: [420 FLOOD_WAIT_X] - A wait of 120 seconds is '
                'required (caused by "messages.SendMessage")', "hydrogram.errors.exceptions.flood_420.FloodWait"),
            rec("telethon.client.updates", "ERROR", "Unhandled exception on on_raw",
                "telethon.errors.rpcerrorlist.FloodWaitError"),
        )
        self.check(
            "noise",
            rec("pyrogram.dispatcher", "ERROR", "Connection lost", "builtins.OSError"),
            rec("telethon.client.updates", "ERROR", "Unhandled exception on on_raw", "builtins.ConnectionError"),
        )

    def test_reconnection_given_up_and_flood_are_signals(self):
        self.check(
            "signal",
            rec("telethon.network.mtprotosender", "ERROR", "Automatic reconnection failed 5 time(s)"),
            rec("telethon.network.mtprotosender", "WARNING",
                "Server indicated flood error at transport level: Invalid response buffer (HTTP code 429)"),
            rec("telethon.network.mtprotosender", "WARNING", "Invalid buffer Invalid response buffer (HTTP code 429)"),
            rec("asyncio", "ERROR", "Task exception was never retrieved\nfuture: <Task finished ...>",
                "pyrogram.errors.SecurityCheckMismatch"),
            rec("asyncio", "ERROR", "Task was destroyed but it is pending!\ntask: <Task pending ...>"),
        )

    def test_loops_the_library_runs_itself_are_noise(self):
        self.check(
            "noise",
            rec("pyrogram.session.session", "INFO", '[3] Retrying "messages.SendMessage" due to Connection lost'),
            rec("pyrofork.session.session", "WARNING", '[5] Retrying "messages.SendMessage" due to: Request timed out'),
            rec("pyrogram.connection.connection", "INFO", "Connected! Production DC2 - IPv4 - TCPAbridgedO"),
            rec("pyrogram.session.auth", "INFO", "Start creating a new auth key on DC2"),
            rec("pyrogram.session.session", "WARNING", "Server sent transport error: 429 (transport flood)"),
            rec("asyncio", "WARNING", "socket.send() raised exception."),
            rec("telethon.network.connection.connection", "INFO", "The server closed the connection"),
            rec("telethon.network.mtprotosender", "WARNING",
                "Connection error 0 during auth_key gen: ConnectionResetError: [Errno 104] Connection reset by peer"),
            rec("telethon.network.mtprotosender", "ERROR", "Unhandled error while receiving data",
                "telethon.errors.common.InvalidChecksumError"),
            rec("telethon.network.connection.connection", "ERROR", "Unexpected exception in the receive loop",
                "builtins.ValueError"),
        )

    def test_the_rest_is_other(self):
        self.check(
            "other",
            rec("pyrogram.crypto.aes", "WARNING", "TgCrypto is missing! Pyrogram will work the same"),
            rec("pyrogram.session.session", "WARNING",
                '[harvest] Waiting for 3 seconds before continuing (required by "messages.SendMessage")'),
            rec("telethon.client.users", "INFO", "Sleeping for 3s (0:00:03) on SendMessageRequest flood wait"),
            rec("telethon.network.mtprotosender", "INFO", "Disconnecting from 127.0.0.1:4000/TcpFull..."),
            rec(None, None, "auth.py:148: UserWarning: the session already had an authorized user",
                "builtins.UserWarning", "stderr"),
        )

    def test_an_unknown_error_in_the_receive_loop_is_a_signal(self):
        self.check("signal", rec("telethon.network.mtprotosender", "ERROR", "Unhandled error while receiving data",
                                 "builtins.AttributeError"))

    def test_old_text_records_go_through_the_same_classifier(self):
        self.assertEqual(classify(["WARNING:asyncio:socket.send() raised exception.\n"]), "noise")
        self.assertEqual(classify(["ERROR:pyrogram.dispatcher:x\n", "Traceback (most recent call last):\n",
                                   '  File "a.py", line 1, in f\n', "OSError: Connection lost\n"]), "noise")
        self.assertIsNone(classify(["task: <Task pending name='Task-1'>\n"]))


class Choose(unittest.TestCase):
    def test_first_of_every_kind_and_every_crash_even_past_the_cap(self):
        words = [f"kind {chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(30)]  # no digits: they fold
        records = [rec("pyrogram.session.session", "INFO", w, rid=i) for i, w in enumerate(words)]
        records += [rec("pyrogram.session.session", "INFO", words[0], rid=100 + i) for i in range(5)]
        records.append(rec(None, None, "Traceback", "builtins.OSError", "stderr", True, rid=200))
        ids = choose(records, max_records=24)
        self.assertTrue(set(range(30)) <= ids, "a kind was dropped")
        self.assertIn(200, ids)
        self.assertFalse(ids & {101, 102, 103, 104}, "no third of a kind")

    def test_second_of_a_kind_only_without_traceback(self):
        records = [rec("pyrogram.dispatcher", "ERROR", "boom", "builtins.ValueError", rid=i) for i in range(3)]
        records += [rec("pyrogram.connection.connection", "INFO", "Connecting...", rid=10 + i) for i in range(3)]
        self.assertEqual(choose(records), {0, 10, 11})

    def test_numbers_do_not_make_kinds(self):
        records = [rec("asyncio", "ERROR", f"Task exception was never retrieved\nfuture: <Task-{i}>",
                       "pyrogram.errors.SecurityCheckMismatch", rid=i,
                       template=f"Task exception was never retrieved\nfuture: <Task-{i}>") for i in range(4)]
        self.assertEqual(choose(records), {0})


if __name__ == "__main__":
    unittest.main()
