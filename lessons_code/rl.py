"""A small grid world and tabular reinforcement learning, for teaching.

The environment is a cliff walk in the spirit of the example in Sutton and Barto's
book: the agent starts in a bottom corner of a grid, must reach the other bottom
corner, and loses heavily if it steps on the cliff cells between them. States are
integers ``row * width + col``; actions are 0 up, 1 right, 2 down, 3 left. Rewards
are dimensionless. Everything is plain numpy and trains in well under a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)

#: Row and column change of each action: up, right, down, left.
MOVES: tuple[tuple[int, int], ...] = ((-1, 0), (0, 1), (1, 0), (0, -1))
#: Arrow drawn for each action in a policy plot (dx, dy with y pointing up).
ARROWS: tuple[tuple[int, int], ...] = ((0, 1), (1, 0), (0, -1), (-1, 0))


def _bottom_cliff(height: int, width: int) -> tuple[tuple[int, int], ...]:
    return tuple((height - 1, c) for c in range(1, width - 1))


@dataclass(frozen=True)
class GridWorld:
    """A deterministic cliff-walk grid.

    Parameters
    ----------
    height, width
        Grid size in cells.
    step_reward
        Reward of every ordinary step (negative: the agent is in a hurry).
    cliff_reward
        Reward for stepping onto a cliff cell; the episode then ends.
    max_steps
        Episodes are cut after this many steps.
    with_cliff
        Put cliff cells between start and goal (True) or leave the row open.

    Examples
    --------
    >>> env = GridWorld(height=4, width=12)
    >>> env.n_states, env.n_actions, env.start, env.goal
    (48, 4, 36, 47)
    """

    height: int = 4
    width: int = 12
    step_reward: float = -1.0
    cliff_reward: float = -100.0
    max_steps: int = 200
    with_cliff: bool = True
    n_actions: int = field(default=len(MOVES), init=False)

    def __post_init__(self) -> None:
        if self.height < 2 or self.width < 3:
            msg = f"a cliff walk needs at least 2 x 3 cells; got {self.height} x "
            msg += f"{self.width}."
            raise ValueError(msg)

    @property
    def n_states(self) -> int:
        """Number of cells."""
        return self.height * self.width

    @property
    def start(self) -> int:
        """The bottom-left cell."""
        return (self.height - 1) * self.width

    @property
    def goal(self) -> int:
        """The bottom-right cell."""
        return self.height * self.width - 1

    @property
    def cliff(self) -> frozenset[int]:
        """The cells between start and goal on the bottom row (empty without)."""
        if not self.with_cliff:
            return frozenset()
        return frozenset(r * self.width + c for r, c in _bottom_cliff(*self.shape))

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return self.height, self.width

    def step(self, state: int, action: int) -> tuple[int, float, bool]:
        """Move one cell; walls keep the agent in place.

        Parameters
        ----------
        state
            Current cell index.
        action
            0 up, 1 right, 2 down, 3 left.

        Returns
        -------
        next_state : int
            The new cell.
        reward : float
            ``cliff_reward`` on a cliff cell, else ``step_reward``.
        done : bool
            True on reaching the goal or the cliff.

        Examples
        --------
        >>> env = GridWorld(height=4, width=12)
        >>> env.step(env.start, 1)
        (37, -100.0, True)
        """
        row, col = divmod(state, self.width)
        d_row, d_col = MOVES[action]
        row = min(max(row + d_row, 0), self.height - 1)
        col = min(max(col + d_col, 0), self.width - 1)
        nxt = row * self.width + col
        if nxt in self.cliff:
            return nxt, self.cliff_reward, True
        return nxt, self.step_reward, nxt == self.goal


def value_iteration(
    env: GridWorld, gamma: float = 1.0, tol: float = 1e-9
) -> np.ndarray:
    """Solve the Bellman optimality equation by fixed-point iteration.

    Repeats ``Q(s, a) <- r(s, a) + gamma * max_a' Q(s', a')`` (no future after a
    terminal step) over all states until nothing changes. The model of the
    environment is used here; Q-learning must do without it.

    Parameters
    ----------
    env
        The grid world.
    gamma
        Discount factor in ``(0, 1]``.
    tol
        Stop when the largest change is below this.

    Returns
    -------
    np.ndarray
        Optimal action values, shape ``(n_states, n_actions)``.

    Examples
    --------
    >>> env = GridWorld(height=4, width=12)
    >>> float(value_iteration(env).max(1)[env.start])
    -13.0
    """
    q = np.zeros((env.n_states, env.n_actions))
    table = [[env.step(s, a) for a in range(env.n_actions)] for s in range(q.shape[0])]
    for _ in range(10 * env.n_states * env.max_steps):
        new = np.array(
            [
                [r + (0.0 if done else gamma * q[s2].max()) for s2, r, done in row]
                for row in table
            ]
        )
        if np.abs(new - q).max() < tol:
            return new
        q = new
    return q


def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """Pick a random action with probability ``epsilon``, else a best one.

    Parameters
    ----------
    q_row
        Action values of the current state, shape ``(n_actions,)``.
    epsilon
        Exploration probability in ``[0, 1]``.
    rng
        Random generator.

    Returns
    -------
    int
        The action; ties between best actions are broken at random.
    """
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    best = np.flatnonzero(q_row == q_row.max())
    return int(rng.choice(best))


def q_learning(
    env: GridWorld,
    n_episodes: int = 500,
    alpha: float = 0.5,
    gamma: float = 1.0,
    epsilon: float = 0.1,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Learn action values from experience with tabular Q-learning.

    After each step ``(s, a, r, s')`` the estimate moves towards the Bellman
    target: ``Q(s, a) += alpha * (r + gamma * max_a' Q(s', a') - Q(s, a))``.
    Actions are chosen epsilon-greedily, but the target uses the greedy action,
    so the method learns the optimal values while exploring (off-policy).

    Parameters
    ----------
    env
        The grid world.
    n_episodes
        Number of episodes.
    alpha
        Learning rate in ``(0, 1]``.
    gamma
        Discount factor in ``(0, 1]``.
    epsilon
        Exploration probability.
    rng
        Random generator.

    Returns
    -------
    q : np.ndarray
        Learned action values, shape ``(n_states, n_actions)``.
    returns : np.ndarray
        Undiscounted return of each training episode, shape ``(n_episodes,)``.

    Examples
    --------
    >>> env = GridWorld(height=3, width=5)
    >>> q, ret = q_learning(env, 200, rng=np.random.default_rng(0))
    >>> greedy_rollout(env, q)[1]
    -6.0
    """
    rng = rng or np.random.default_rng()
    q = np.zeros((env.n_states, env.n_actions))
    returns = np.zeros(n_episodes)
    for episode in range(n_episodes):
        s = env.start
        for _ in range(env.max_steps):
            a = epsilon_greedy(q[s], epsilon, rng)
            s2, r, done = env.step(s, a)
            target = r + (0.0 if done else gamma * q[s2].max())
            q[s, a] += alpha * (target - q[s, a])
            returns[episode] += r
            s = s2
            if done:
                break
    return q, returns


def greedy_rollout(env: GridWorld, q: np.ndarray) -> tuple[list[int], float]:
    """Follow the greedy policy of ``q`` from the start.

    Parameters
    ----------
    env
        The grid world.
    q
        Action values, shape ``(n_states, n_actions)``.

    Returns
    -------
    path : list of int
        The visited cells, start included.
    total_reward : float
        Undiscounted return (``env.max_steps`` steps at most).
    """
    s, path, total = env.start, [env.start], 0.0
    for _ in range(env.max_steps):
        s, r, done = env.step(s, int(q[s].argmax()))
        path.append(s)
        total += r
        if done:
            break
    return path, total


def softmax_policy(theta: np.ndarray) -> np.ndarray:
    """Return action probabilities ``pi(a|s)`` from preferences.

    Parameters
    ----------
    theta
        Preferences, shape ``(n_states, n_actions)``.

    Returns
    -------
    np.ndarray
        Same shape; each row sums to 1.
    """
    z = np.exp(theta - theta.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def reinforce(
    env: GridWorld,
    n_episodes: int = 2000,
    lr: float = 0.02,
    gamma: float = 1.0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Train a tabular softmax policy with the REINFORCE policy gradient.

    Each episode is sampled from the current policy; then for every step
    ``theta[s_t] += lr * gamma^t * (G_t - b) * grad log pi(a_t|s_t)``, where
    ``G_t`` is the return from step ``t`` and the baseline ``b = V(s_t)`` is a
    running Monte Carlo estimate of the value of ``s_t``. A baseline that does
    not depend on the action lowers the variance, not the mean, of the gradient
    estimate. For a softmax policy the score is ``onehot(a_t) - pi(.|s_t)``.

    Parameters
    ----------
    env
        The grid world.
    n_episodes
        Number of episodes.
    lr
        Step size.
    gamma
        Discount factor.
    rng
        Random generator.

    Returns
    -------
    theta : np.ndarray
        Learned preferences, shape ``(n_states, n_actions)``.
    returns : np.ndarray
        Undiscounted return of each episode, shape ``(n_episodes,)``.
    """
    rng = rng or np.random.default_rng()
    theta = np.zeros((env.n_states, env.n_actions))
    returns = np.zeros(n_episodes)
    value = np.zeros(env.n_states)  # baseline V(s)
    for episode in range(n_episodes):
        s, steps = env.start, []
        for _ in range(env.max_steps):
            a = int(rng.choice(env.n_actions, p=softmax_policy(theta[s : s + 1])[0]))
            s2, r, done = env.step(s, a)
            steps.append((s, a, r))
            s = s2
            if done:
                break
        g = 0.0
        for t in range(len(steps) - 1, -1, -1):
            s_t, a_t, r_t = steps[t]
            g = r_t + gamma * g
            score = -softmax_policy(theta[s_t : s_t + 1])[0]
            score[a_t] += 1.0
            theta[s_t] += lr * gamma**t * (g - value[s_t]) * score
            value[s_t] += 0.1 * (g - value[s_t])
        returns[episode] = sum(r for _, _, r in steps)
    return theta, returns
