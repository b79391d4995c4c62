"""pass@1 and its 95% Wilson score interval.

With one answer per problem, pass@1 is the share of problems whose answer
passed. The Wilson interval stays inside [0, 1] and behaves at 0/n and n/n,
where the normal approximation gives nonsense; that is where small runs live.
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion; (0, 1) with no trials."""
    if trials <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and {trials}, got {successes}")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    margin = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def pass_at_1(verdicts: list[str]) -> dict[str, float | int]:
    """{passed, total, pass_at_1, ci_low, ci_high} from verdicts ('pass', 'fail', 'error', 'timeout')."""
    passed = sum(v == "pass" for v in verdicts)
    total = len(verdicts)
    low, high = wilson_interval(passed, total)
    rate = passed / total if total else 0.0
    return {"passed": passed, "total": total, "pass_at_1": rate, "ci_low": low, "ci_high": high}
