//! Every built-in pack at once (`builtin:all`, the opt-in packs included)
//! suppresses nothing of logs that are not a Telegram bot's: a generated
//! but realistic mix of syslog (sshd, postfix, dovecot, cron, systemd,
//! kernel), nginx access and error logs, and Python services (gunicorn,
//! Django, Celery, an asyncio worker) that log network errors, retries and
//! tracebacks of their own; and, when fetched, the real loghub corpus
//! (`scripts/unrelated-logs.sh`).

use crate::util::{logdedup, written_text};

/// A few thousand lines of other programs' logs, in their real layouts.
fn unrelated_log() -> String {
    let mut out = String::new();
    for i in 0..400u32 {
        let s = i % 60;
        let m = (i / 60) % 60;
        let ts = format!("Nov 29 23:{m:02}:{s:02}");
        let iso = format!("2026-11-29 23:{m:02}:{s:02},{:03}", i % 1000);
        let ip = format!("203.0.113.{}", i % 250 + 1);
        let pid = 1000 + i;
        let lines = [
            format!("{ts} web1 sshd[{pid}]: Failed password for invalid user admin from {ip} port {} ssh2", 40000 + i),
            format!("{ts} web1 sshd[{pid}]: Connection closed by authenticating user root {ip} port {} [preauth]", 40000 + i),
            format!("{ts} web1 sshd[{pid}]: Accepted publickey for deploy from {ip} port 52113 ssh2: ED25519 SHA256:abcdef"),
            format!("{ts} mail postfix/smtpd[{pid}]: connect from unknown[{ip}]"),
            format!("{ts} mail postfix/smtpd[{pid}]: lost connection after EHLO from unknown[{ip}]"),
            format!("{ts} mail postfix/smtp[{pid}]: 4A1B2C3D{i:04X}: to=<user@example.org>, relay=none, delay=30, status=deferred (connect to mx.example.org[198.51.100.7]:25: Connection timed out)"),
            format!("{ts} mail dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip={ip}, lip=192.0.2.10, session=<x{i}>"),
            format!("{ts} mail dovecot: imap(bob)<{pid}><x{i}>: Connection closed (IDLE running for 0.001 + waiting input for 28.002 secs) in=0 out=1024"),
            format!("{ts} web1 CRON[{pid}]: (root) CMD (/usr/local/bin/backup.sh >/dev/null 2>&1)"),
            format!("{ts} web1 systemd[1]: bot.service: Main process exited, code=exited, status=1/FAILURE"),
            format!("{ts} web1 systemd[1]: bot.service: Scheduled restart job, restart counter is at {i}."),
            format!("{ts} web1 kernel: [{i}.123456] TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies."),
            format!("{ip} - - [29/Nov/2026:23:{m:02}:{s:02} +0000] \"POST /bot/webhook HTTP/1.1\" 502 157 \"-\" \"TelegramBot (like TwitterBot)\""),
            format!("{ip} - - [29/Nov/2026:23:{m:02}:{s:02} +0000] \"GET /wp-login.php HTTP/1.1\" 404 153 \"-\" \"Mozilla/5.0\""),
            format!("2026/11/29 23:{m:02}:{s:02} [error] 812#812: *{i} upstream timed out (110: Connection timed out) while reading response header from upstream, client: {ip}, server: bot.example.org, request: \"POST /bot/webhook HTTP/1.1\", upstream: \"http://127.0.0.1:8080/bot/webhook\""),
            format!("2026/11/29 23:{m:02}:{s:02} [error] 812#812: *{i} connect() failed (111: Connection refused) while connecting to upstream, client: {ip}, server: bot.example.org"),
            format!("[{iso}] [{pid}] [CRITICAL] WORKER TIMEOUT (pid:{pid})"),
            format!("[{iso}] [{pid}] [INFO] Booting worker with pid: {pid}"),
            format!("{iso} - django.request - ERROR - Internal Server Error: /api/orders/{i}"),
            format!("{iso} - celery.worker.consumer.consumer - WARNING - consumer: Connection to broker lost. Trying to re-establish the connection..."),
            format!("{iso} - celery.app.trace - INFO - Task shop.tasks.sync[{i:08x}] retry: Retry in 10s: ConnectionError('Connection reset by peer')"),
            format!("{iso} - shop.client - WARNING - Retrying request to https://api.example.org/v1/items ({} of 5): Connection lost", i % 5 + 1),
            format!("{iso} - shop.client - ERROR - Failed to fetch updates from the inventory service: Server disconnected"),
            format!("{iso} - shop.worker - INFO - Connecting to 10.0.0.5:5672..."),
            format!("{iso} - shop.worker - INFO - Connection to 10.0.0.5:5672 complete!"),
            format!("{iso} - shop.worker - WARNING - Sleep for 2.500000 seconds and try again"),
            String::from("WARNING:shop.feed:Server closed the connection: [Errno 104] Connection reset by peer"),
            String::from("ERROR:shop.feed:Unhandled exception on refresh_feed"),
            String::from("Traceback (most recent call last):"),
            format!("  File \"/srv/shop/feed.py\", line {}, in refresh_feed", 40 + i % 9),
            String::from("    data = await session.get(url)"),
            String::from("ConnectionResetError: [Errno 104] Connection reset by peer"),
            String::from("INFO:httpx_client:HTTP Request: POST https://api.example.org/v1/poll \"HTTP/1.1 502 Bad Gateway\""),
            format!("{iso} - uvicorn.error - INFO - Application startup complete."),
            format!("{iso} - shop.api - ERROR - upstream answered: <html> (status 502)"),
        ];
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn all_builtin_packs_suppress_nothing_of_unrelated_logs() {
    let input = unrelated_log();
    assert!(input.lines().count() > 10_000);
    let tmp = tempfile::tempdir().unwrap();
    let audit = tmp.path().join("suppressed");
    let out = logdedup()
        .args(["-r", "builtin:all", "--stats", "--suppressed-to"])
        .arg(&audit)
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert!(out.status.success());
    let trail = written_text(&audit);
    assert!(trail.is_empty(), "suppressed:\n{trail}");
    assert!(out.stdout == input.as_bytes(), "output differs from input");
    let stats = String::from_utf8_lossy(&out.stderr);
    assert!(stats.contains(" 0 suppressed (0 records)"), "{stats}");
}

/// The real corpus, when fetched: `scripts/unrelated-logs.sh`, then
/// `LOGDEDUP_UNRELATED=target/unrelated-logs/loghub-2k.log cargo test
/// --test integration unrelated_logs:: -- --ignored`.
#[test]
#[ignore = "needs the fetched corpus: scripts/unrelated-logs.sh"]
fn all_builtin_packs_suppress_nothing_of_the_loghub_corpus() {
    let path = std::env::var("LOGDEDUP_UNRELATED")
        .unwrap_or_else(|_| "target/unrelated-logs/loghub-2k.log".into());
    let input = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let out = logdedup()
        .args(["-r", "builtin:all", "--stats", &path])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stats = String::from_utf8_lossy(&out.stderr);
    println!("{}", stats.lines().next().unwrap_or(""));
    assert!(stats.contains(" 0 suppressed (0 records)"), "{stats}");
    assert!(out.stdout == input, "output differs from input");
}
