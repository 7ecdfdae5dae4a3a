"""Issue 18: a host's lease ends with its last link; a dispatch's hosts split into jobs."""

from __future__ import annotations

from linkdir.checks.jobs import HostsLeft
from linkdir.checks.runner import job_groups, job_hosts
from linkdir.checks.service import Claimed
from linkdir.config import Settings


def test_a_host_is_given_back_once_and_only_after_its_last_link_is_recorded():
    left = HostsLeft({1: "a.se", 2: "a.se", 3: "b.se"})
    assert left.finish([1, 3]) == ["b.se"], "a.se still has link 2 in flight"
    assert left.finish([3]) == [], "a link recorded twice does not give a host back twice"
    assert left.finish([2]) == ["a.se"]
    assert left.finish([1, 2, 3]) == []


def test_a_dispatch_splits_its_hosts_into_jobs_each_link_in_exactly_one():
    batches = {
        f"h{n}.se": [Claimed(n * 10 + i, f"https://h{n}.se/{i}", None) for i in range(3)]
        for n in range(23)
    }
    groups = list(job_groups(batches, 10))
    assert [len(hosts) for hosts, _ids in groups] == [10, 10, 3]
    ids = [rid for _hosts, group in groups for rid in group]
    assert sorted(ids) == sorted(c.resource_id for items in batches.values() for c in items)
    for hosts, group in groups:  # a job's ids are exactly its hosts' links
        assert sorted(group) == sorted(c.resource_id for h in hosts for c in batches[h])


def test_a_worker_checks_no_more_host_batches_at_once_than_before():
    settings = Settings(checker_concurrency=100, checker_per_host=2)
    per_job, jobs = job_hosts(settings)
    assert (per_job, jobs) == (10, 5)  # 50 host batches, as with one job per host
    small = Settings(checker_concurrency=6, checker_per_host=2)
    assert job_hosts(small) == (3, 1)
