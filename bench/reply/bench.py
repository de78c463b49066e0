#!/usr/bin/env python3
"""Reply jobs end to end on a running platform (bench/reply/run.sh starts it).

A child process runs the fake OpenAI-compatible provider and the fake Telegram Bot API, this
one the driver; every timestamp is time.monotonic() (CLOCK_MONOTONIC, one clock for all
processes of the machine):

  post_start     the driver starts POST /webhooks/telegram/{channel} (a signed update)
  post_end       the gateway answered 200 (the message and its reply job are committed)
  provider_recv  the fake provider has read the Chat Completions request's first line
  provider_sent  the fake provider wrote its answer, PROVIDER_DELAY_MS after provider_recv
  send_arrival   the fake Telegram has read the sendMessage request's first line

and, from the database after the run, job_picked: the reply job's started_at (set by the
claim, clock_timestamp()), compared with the provider's arrival on the wall clock.

overhead (issue 5's definition, the figures overhead_p50_ms / overhead_p99_ms) =
(provider_recv - job_picked) + (send_arrival - provider_sent): the time the platform adds
from picking the job to asking the provider, and from the provider's answer to the
channel send (agents' runtime, storing the reply, the delivery worker, the send).

end_to_end_overhead = (send_arrival - post_start) - (provider_sent - provider_recv): all the
platform adds around the provider, ingest and the wait for a worker included; split into
ingest (post_start -> post_end), before the provider (post_end -> provider_recv) and after
it (provider_sent -> send_arrival). Each of CONCURRENCY chats sends its next message once
its previous reply arrived; the first WARMUP replies are not counted.

Usage: bench.py BASE_URL PROVIDER_PORT TELEGRAM_PORT OUT_JSON (environment: REPLY_BENCH_*).
The fakes must listen before the platform starts (the Telegram base URL is configuration),
so run.sh passes free ports and this script binds them.
"""
import http.client
import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE = sys.argv[1].rstrip("/")
PROVIDER_PORT = int(sys.argv[2])
TELEGRAM_PORT = int(sys.argv[3])
OUT = sys.argv[4]
CONCURRENCY = int(os.environ.get("REPLY_BENCH_CONCURRENCY", "50"))
REPLIES = int(os.environ.get("REPLY_BENCH_REPLIES", "1000"))
WARMUP = int(os.environ.get("REPLY_BENCH_WARMUP", "100"))
DELAY = int(os.environ.get("REPLY_BENCH_PROVIDER_DELAY_MS", "200")) / 1000
CHANNELS = int(os.environ.get("REPLY_BENCH_CHANNELS", "2"))
TIMEOUT = float(os.environ.get("REPLY_BENCH_REPLY_TIMEOUT_S", "30"))
# How long a contact takes to answer a reply (uniformly 0.5x to 1.5x, so the chats do not
# move in step); 0 sends the next message the moment the reply arrives.
THINK = int(os.environ.get("REPLY_BENCH_THINK_MS", "0")) / 1000
SECRET = "bench-secret-token"
PGHOST = os.environ.get("REPLY_BENCH_PGHOST", "")

lock = threading.Lock()
FORK = multiprocessing.get_context("fork")
records = FORK.SimpleQueue()  # the fakes' process -> the driver: (kind, token, times)
fake_lock = threading.Lock()  # within the fakes' process
provider_times = {}  # token -> (recv, sent)
arrivals = {}  # token -> arrival
events = {}  # token -> threading.Event


def token_of(text):
    # "bench <chat>-<n>" in the contact's message, "re: bench <chat>-<n>" in the reply.
    i = text.find("bench ")
    return text[i + 6 :].split()[0] if i >= 0 else None


class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per response, no Nagle: headers and body written apart would wait for the
    # client's delayed ACK (40 ms) and be counted as the platform's time.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def parse_request(self):
        # The request line has been read: the request has arrived. Stamped before Python
        # parses the request line and headers (its own time, which is not the platform's).
        self.arrived = time.monotonic()
        self.arrived_wall = time.time()
        return super().parse_request()

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


class Provider(Quiet):
    """OpenAI Chat Completions: answers after exactly DELAY, echoing the token."""

    def do_POST(self):
        recv, recv_wall = self.arrived, self.arrived_wall
        request = json.loads(self.body() or b"{}")
        last = next((m for m in reversed(request.get("messages", [])) if m.get("role") == "user"), {})
        content = last.get("content") or ""
        if isinstance(content, list):
            content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
        token = token_of(content)
        reply = {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model") or "bench-model",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": f"re: bench {token}"}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25},
        }
        remaining = recv + DELAY - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        self.answer(200, reply)
        sent = time.monotonic()
        if token:
            records.put(("provider", token, (recv, sent, recv_wall)))


class Telegram(Quiet):
    """Bot API sendMessage: records the arrival, answers ok with a message id."""

    counter = 0

    def do_POST(self):
        arrival = self.arrived
        body = self.body()
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = dict(urllib.parse.parse_qsl(body.decode()))
        token = token_of(str(payload.get("text", "")))
        with fake_lock:
            Telegram.counter += 1
            message_id = Telegram.counter
        if token:
            records.put(("telegram", token, arrival))
        self.answer(
            200,
            {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": payload.get("chat_id"), "type": "private"},
                    "text": payload.get("text"),
                },
            },
        )


def serve(handler, port):
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_fakes(ready):
    """The child process: both fakes, timestamps taken here, records sent to the driver."""
    serve(Provider, PROVIDER_PORT)
    serve(Telegram, TELEGRAM_PORT)
    ready.set()
    threading.Event().wait()


def start_fakes():
    """Runs the fakes in a process of their own (forked before any thread exists): a fake's
    thread woken by its socket competes for its interpreter's lock only with the other fake's
    threads, not with the 50 driver threads, so its timestamps are not delayed by the driver's
    Python work (which would be counted as the platform's time). A collector thread turns the
    records into provider_times / arrivals and wakes a chat once both of its reply's records
    are in."""
    ready = FORK.Event()
    child = FORK.Process(target=run_fakes, args=(ready,), daemon=True)
    child.start()
    if not ready.wait(30):
        sys.exit("bench/reply: the fakes did not start")

    def collect():
        while True:
            kind, token, value = records.get()
            with lock:
                if kind == "provider":
                    provider_times[token] = value
                elif token not in arrivals:
                    arrivals[token] = value
                event = events.get(token)
                both = token in provider_times and token in arrivals
            if event and both:
                event.set()

    threading.Thread(target=collect, daemon=True).start()
    return child


def api(method, path, body=None, token=None):
    url = urllib.parse.urlsplit(BASE)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        parsed = {"raw": data.decode(errors="replace")}
    if response.status >= 300:
        sys.exit(f"bench/reply: {method} {path} answered {response.status}: {parsed}")
    return parsed


def setup():
    slug = f"bench-reply-{os.getpid()}"
    signup = api(
        "POST",
        "/api/v1/auth/signup",
        {
            "organization_name": "Bench Reply",
            "organization_slug": slug,
            "email": f"bench@{slug}.example",
            "password": "correct horse battery staple",
            "full_name": "Bench",
        },
    )
    token = signup["tokens"]["access_token"]
    agent = api(
        "POST",
        "/api/v1/agents",
        {
            "name": "Bench",
            "personality": "Brief",
            "objective": "Answer",
            "system_message": "You answer briefly.",
            "status": "active",
            "auto_response_enabled": True,
            "provider_base_url": f"http://127.0.0.1:{PROVIDER_PORT}/v1",
        },
        token,
    )
    agent_id = agent["id"]
    api("PUT", f"/api/v1/agents/{agent_id}/provider-key", {"provider_key": "sk-bench-0000000000001234"}, token)
    api("POST", f"/api/v1/agents/{agent_id}/publish", None, token)
    channels = []
    for i in range(CHANNELS):
        channel = api(
            "POST",
            "/api/v1/channels",
            {
                "type": "telegram",
                "name": f"Bench bot {i}",
                "agent_id": agent_id,
                "config": {"bot_token": f"9000{i}:bench", "secret_token": SECRET},
            },
            token,
        )
        channels.append(channel["id"])
    return channels


class Chat(threading.Thread):
    counter = 0
    update_ids = iter(range(1, 10**9))
    samples = []
    tokens = []
    failures = []
    done = threading.Event()

    def __init__(self, index, channel):
        super().__init__(daemon=True)
        self.index = index
        self.chat_id = 100000 + index
        self.path = f"/webhooks/telegram/{channel}"
        url = urllib.parse.urlsplit(BASE)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def post(self, text):
        with lock:
            update_id = next(Chat.update_ids)
        body = json.dumps(
            {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "date": int(time.time()),
                    "from": {"id": self.chat_id, "is_bot": False, "first_name": f"Bench {self.index}"},
                    "chat": {"id": self.chat_id, "type": "private", "first_name": f"Bench {self.index}"},
                    "text": text,
                },
            }
        )
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        for attempt in range(2):
            try:
                self.connection.request("POST", self.path, body=body, headers=headers)
                response = self.connection.getresponse()
                response.read()
                return response.status
            except (http.client.HTTPException, OSError):
                self.connection.close()
                if attempt:
                    raise

    def run(self):
        n = 0
        if THINK:
            time.sleep(random.uniform(0, THINK))
        while not Chat.done.is_set():
            n += 1
            token = f"{self.index}-{n}"
            event = threading.Event()
            with lock:
                events[token] = event
            start = time.monotonic()
            status = self.post(f"Olá, bench {token} quanto custa?")
            end = time.monotonic()
            if status != 200:
                with lock:
                    Chat.failures.append(f"webhook answered {status}")
                time.sleep(0.5)
                continue
            if not event.wait(TIMEOUT):
                with lock:
                    Chat.failures.append(f"no reply for {token} within {TIMEOUT} s")
                continue
            with lock:
                recv, sent, recv_wall = provider_times.get(token, (None, None, None))
                arrival = arrivals[token]
                Chat.counter += 1
                number = Chat.counter
                if recv is None:
                    Chat.failures.append(f"{token} replied without a provider request")
                elif number > WARMUP:
                    Chat.samples.append((start, end, recv, sent, arrival))
                    Chat.tokens.append((token, recv_wall))
                if len(Chat.samples) >= REPLIES:
                    Chat.done.set()
            if THINK:
                time.sleep(random.uniform(0.5 * THINK, 1.5 * THINK))


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(values):
    ms = [v * 1000 for v in values]
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
    }


def job_picked_times():
    """token -> the wall-clock time its reply job was claimed (reply_jobs.started_at)."""
    query = (
        "SELECT m.content, extract(epoch FROM j.started_at) FROM conversations.reply_jobs j "
        "JOIN conversations.messages m ON m.id = j.trigger_message_id WHERE j.started_at IS NOT NULL"
    )
    out = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-F", "\t", "-h", PGHOST, "-U", "postgres", "-d", "smarterchat", "-c", query],
        check=True, capture_output=True, text=True,
    ).stdout
    picked = {}
    for line in out.splitlines():
        content, _, epoch = line.rpartition("\t")
        token = token_of(content)
        if token and epoch:
            picked[token] = float(epoch)
    return picked


def main():
    start_fakes()
    channels = setup()
    load_before = os.getloadavg()
    chats = [Chat(i, channels[i % len(channels)]) for i in range(CONCURRENCY)]
    began = time.monotonic()
    for chat in chats:
        chat.start()
    limit = (REPLIES + WARMUP) / CONCURRENCY * (DELAY + 1.5 * THINK + 2) + 120
    while not Chat.done.wait(1):
        if time.monotonic() - began > limit or len(Chat.failures) > 20:
            break
    elapsed = time.monotonic() - began
    load_after = os.getloadavg()
    Chat.done.set()
    samples = list(Chat.samples)
    if len(samples) < REPLIES:
        sys.exit(f"bench/reply: {len(samples)} of {REPLIES} replies measured; failures: {Chat.failures[:10]}")
    samples = samples[:REPLIES]
    tokens = Chat.tokens[:REPLIES]
    picked = job_picked_times()
    missing = [token for token, _ in tokens if token not in picked]
    if missing:
        sys.exit(f"bench/reply: no claimed reply job for {len(missing)} measured replies, e.g. {missing[:3]}")
    before_provider = [recv_wall - picked[token] for token, recv_wall in tokens]
    after_provider = [arrival - sent for start, end, recv, sent, arrival in samples]
    overhead = [b + a for b, a in zip(before_provider, after_provider)]
    end_to_end = [(arrival - start) - (sent - recv) for start, end, recv, sent, arrival in samples]
    total = summary([arrival - start for start, end, recv, sent, arrival in samples])
    out = {
        "overhead_p50_ms": round(percentile([v * 1000 for v in overhead], 50), 2),
        "overhead_p99_ms": round(percentile([v * 1000 for v in overhead], 99), 2),
        "concurrency": CONCURRENCY,
        "replies": len(samples),
        "target_overhead_p99_ms": 15,
        "target_met": percentile([v * 1000 for v in overhead], 99) <= 15,
        "provider_delay_ms": DELAY * 1000,
        "think_ms": THINK * 1000,
        "provider_hold": summary([sent - recv for start, end, recv, sent, arrival in samples]),
        "overhead": summary(overhead),
        "overhead_split": {
            "job_picked_to_provider_request": summary(before_provider),
            "provider_response_to_send": summary(after_provider),
        },
        "end_to_end_overhead": summary(end_to_end),
        "end_to_end_split": {
            "ingest_post_to_200": summary([end - start for start, end, recv, sent, arrival in samples]),
            "answered_to_provider_request": summary([recv - end for start, end, recv, sent, arrival in samples]),
            "provider_response_to_send": summary([arrival - sent for start, end, recv, sent, arrival in samples]),
        },
        "reply_round_trip": total,
        "warmup_replies": WARMUP,
        "channels": len(channels),
        "replies_per_second": round((Chat.counter) / elapsed, 1),
        "failures": len(Chat.failures),
        "load_average": {"before": [round(v, 2) for v in load_before], "after": [round(v, 2) for v in load_after]},
        "cpus": os.cpu_count(),
        "platform_settings": {
            name: os.environ.get(name)
            for name in (
                "SMARTERCHAT_TELEGRAM_RATE_PER_SECOND",
                "SMARTERCHAT_TELEGRAM_CHAT_INTERVAL_MS",
                "SMARTERCHAT_AGENTS_CONCURRENCY_PER_ORGANIZATION",
                "SMARTERCHAT_REPLY_CONCURRENCY",
                "SMARTERCHAT_LOG_LEVEL",
            )
        },
    }
    os.makedirs(os.path.dirname(OUT) or ".", exist_ok=True)
    with open(OUT, "w") as handle:
        json.dump(out, handle, indent=2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
