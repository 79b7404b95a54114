"""Printing the figures: one table for the ack path, then one line per figure (what RESULTS.md quotes)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.loadgen import Figures
from bench.scenarios import Scenario
from bench.slack_calls import ActionCost


@dataclass
class Pair:
    scenario: Scenario
    herobot: Figures
    bare: Figures

    @property
    def ratio(self) -> float:
        return self.herobot.rps / self.bare.rps if self.bare.rps else 0.0

    @property
    def cpu_ratio(self) -> float:
        return self.herobot.cpu_ms_per_request / self.bare.cpu_ms_per_request if self.bare.cpu_ms_per_request else 0.0

    def verdict(self) -> str:
        target = self.scenario.target
        if target is None:
            return ""
        met = self.ratio >= target.ratio and self.herobot.percentile(0.99) < target.p99_ms
        return f"; target >= {target.ratio}x and p99 < {target.p99_ms:.0f} ms: {'met' if met else 'MISSED'}"


def ack_table(pairs: list[Pair], total: int, concurrency: int) -> list[str]:
    out = [
        f"Ack path: {total} signed requests per run, {concurrency} concurrent clients, fake Slack on loopback",
        f"{'scenario':30} {'app':8} {'acks/s':>8} {'done/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'CPU ms/req':>10} {'API calls/req':>13}",
    ]
    for pair in pairs:
        for figures in (pair.bare, pair.herobot):
            ratio = f"{pair.ratio:5.2f}x" if figures is pair.herobot else ""
            out.append(
                f"{pair.scenario.name:30} {figures.app:8} {figures.rps:8.0f} {figures.done_rps:8.0f} "
                f"{figures.percentile(0.5):8.1f} {figures.percentile(0.99):8.1f} {ratio:>6} "
                f"{figures.cpu_ms_per_request:10.2f} {figures.api_calls_per_request:13.2f}"
            )
    return out


def ack_lines(pairs: list[Pair]) -> list[str]:
    out: list[str] = []
    for pair in pairs:
        ours = pair.herobot
        out.append(
            f"{pair.scenario.name}: {ours.rps:.0f} req/s = {pair.ratio:.2f}x bare Bolt ({pair.bare.rps:.0f} req/s), "
            f"p50 {ours.percentile(0.5):.1f} ms, p99 {ours.percentile(0.99):.1f} ms{pair.verdict()}"
        )
        out.append(
            f"{pair.scenario.name}: {ours.done_rps:.0f} req/s with all their work done (every Slack call made); "
            f"CPU {ours.cpu_ms_per_request:.2f} ms/req = {pair.cpu_ratio:.1f}x bare Bolt's {pair.bare.cpu_ms_per_request:.2f}"
        )
        if ours.failures or pair.bare.failures:
            out.append(f"{pair.scenario.name}: {ours.failures} herobot / {pair.bare.failures} bare answers not 200")
    return out


def cost_lines(costs: list[ActionCost]) -> list[str]:
    return [f"Slack calls: {cost.action}: {cost.web_api} Web API calls ({cost.breakdown()})" for cost in costs]


def memory_line(idle: float, loaded: float) -> str:
    verdict = "met" if idle < 150 else "MISSED"
    return (
        f"memory: herobot serve RSS {idle:.0f} MB idle, {loaded:.0f} MB after the load; target < 150 MB idle: {verdict}"
    )
