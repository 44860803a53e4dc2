"""The grid world and tabular reinforcement learning."""

import numpy as np
import pytest

from lessons_code import rl


def test_walls_keep_the_agent_in_place_and_cliff_ends_episode():
    env = rl.GridWorld(height=4, width=12)
    assert env.step(env.start, 3) == (env.start, env.step_reward, False)  # left wall
    s2, r, done = env.step(env.start, 1)
    assert s2 in env.cliff and r == env.cliff_reward and done
    assert env.step(env.goal - env.width, 2) == (env.goal, env.step_reward, True)


def test_open_grid_has_no_cliff():
    env = rl.GridWorld(height=3, width=5, with_cliff=False)
    assert env.cliff == frozenset()
    assert env.step(env.start, 1) == (env.start + 1, env.step_reward, False)


def test_too_small_grid_is_refused():
    with pytest.raises(ValueError, match="at least 2 x 3"):
        rl.GridWorld(height=1, width=5)


@pytest.mark.parametrize(("height", "width"), [(3, 5), (4, 12)])
def test_value_iteration_finds_the_shortest_safe_path(height, width):
    env = rl.GridWorld(height=height, width=width)
    q = rl.value_iteration(env)
    # safe path: one step up, width - 1 steps right, one step down
    assert q.max(1)[env.start] == pytest.approx(-(width + 1))
    # Bellman optimality: Q(s, a) = r + max_a' Q(s', a') for every (s, a)
    for s in range(env.n_states):
        for a in range(env.n_actions):
            s2, r, done = env.step(s, a)
            assert q[s, a] == pytest.approx(r + (0 if done else q[s2].max()))


def test_q_learning_learns_the_optimal_return():
    env = rl.GridWorld(height=4, width=12)
    q, returns = rl.q_learning(env, 500, rng=np.random.default_rng(3))
    path, total = rl.greedy_rollout(env, q)
    assert total == pytest.approx(rl.value_iteration(env).max(1)[env.start])
    assert path[-1] == env.goal and not set(path) & env.cliff
    assert returns[-100:].mean() > returns[:20].mean()


def test_q_learning_is_deterministic_given_a_seed():
    env = rl.GridWorld(height=3, width=5)
    a = rl.q_learning(env, 50, rng=np.random.default_rng(7))
    b = rl.q_learning(env, 50, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_epsilon_greedy_explores_at_the_requested_rate():
    rng = np.random.default_rng(0)
    q_row = np.array([0.0, 1.0, 0.0, 0.0])
    picks = np.array([rl.epsilon_greedy(q_row, 0.4, rng) for _ in range(4000)])
    # greedy with probability 1 - eps, plus eps / 4 from random exploration
    assert np.mean(picks == 1) == pytest.approx(0.6 + 0.1, abs=0.03)


def test_softmax_policy_rows_are_distributions():
    theta = np.random.default_rng(1).normal(size=(5, 4)) * 50
    pi = rl.softmax_policy(theta)
    np.testing.assert_allclose(pi.sum(1), 1.0)
    assert np.all(pi >= 0)


def test_reinforce_improves_the_policy():
    env = rl.GridWorld(height=4, width=6, max_steps=50, with_cliff=False)
    theta, returns = rl.reinforce(env, 1500, rng=np.random.default_rng(0))
    assert returns[-100:].mean() > returns[:100].mean() + 5
    assert rl.greedy_rollout(env, theta)[1] >= -7
