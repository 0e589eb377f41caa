"""Going to the next scene of a lecture deck: server time from the key press until the new
scene is drawn, measured with AppTest (which follows the page switch as a browser does).

Usage: python benches/deck.py [--deck lesson-5] [--rounds 2]

The first round opens every page once in this process (imports, caches, first charts);
the figure to watch is the median over the later rounds (target: under 1 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ML101_TORCH_THREADS", "1")

from report import headline  # noqa: E402

from ml101.deck import load_deck  # noqa: E402
from tests.conftest import open_page  # noqa: E402

TARGET_S = 1.0


def walk(name: str) -> list[float]:
    """Seconds of every → through the deck, from scene 1 to the last."""
    at = open_page("start", deck=name)
    times = []
    for _ in range(len(load_deck(name).scenes) - 1):
        t0 = time.perf_counter()
        at.button(key="deck_next").click().run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise RuntimeError(at.exception[0].value)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deck", default="lesson-5")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    deck = load_deck(args.deck)
    rounds = [walk(args.deck) for _ in range(max(2, args.rounds))]
    warm = rounds[1:]
    print(f"Next scene, deck {args.deck} ({len(deck.scenes)} scenes), AppTest, "
          f"{os.cpu_count()} cores; round 1 is cold, the rest warm\n")
    header = f"{'to scene':<9} {'page':<15} {'title':<45} {'cold s':>7} {'warm s':>7}"
    print(header)
    print("-" * len(header))
    for i, scene in enumerate(deck.scenes[1:]):
        warm_i = statistics.median(r[i] for r in warm)
        print(f"{i + 2:<9} {scene.page:<15} {scene.title[:45]:<45} {rounds[0][i]:>7.2f} "
              f"{warm_i:>7.2f}")
    med = statistics.median(t for r in warm for t in r)
    worst = max(t for r in warm for t in r)
    print(f"\nmedian {med:.3f} s, slowest {worst:.3f} s (warm)")
    headline(f"next scene, deck {args.deck} (warm median)", med, "s",
             f"< {TARGET_S:g} s median", med < TARGET_S)


if __name__ == "__main__":
    main()
