"""The processes a benchmark runs against: `herobot serve` and the bare Bolt app, each on its own port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)


def log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""


async def wait_healthy(http: aiohttp.ClientSession, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log_tail(log)}")
        with suppress(aiohttp.ClientError):
            async with http.get(url + "/healthz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)


def bench_environment(api_url: str, database_url: str, port: int) -> dict[str, str]:
    from bot.console import demo

    return {
        **os.environ,
        **demo.ENVIRONMENT,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }


@asynccontextmanager
async def running(
    http: aiohttp.ClientSession, name: str, command: list[str], env: dict[str, str], workdir: Path
) -> AsyncIterator[Server]:
    log = workdir / f"{name}.log"
    process = start(command, env, log)
    try:
        server = Server(name, process, f"http://127.0.0.1:{env['PORT']}", log)
        await wait_healthy(http, server.url, process, log)
        yield server
    finally:
        stop(process)


def herobot_command() -> list[str]:
    return [sys.executable, "app.py", "serve"]


def bare_command() -> list[str]:
    return [sys.executable, "bench/bare_app.py"]


class Profiler:
    """py-spy sampling one process while a scenario runs (`--profile DIR`): collapsed stacks, one file each."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    def begin(self, pid: int, label: str) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        output = self.directory / f"{label}.txt"
        command = ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "250", "-o", str(output)]
        spy = Path(sys.executable).parent / "py-spy"
        if spy.exists():
            command[0] = str(spy)
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def end(self) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process = None
