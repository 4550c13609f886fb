"""Beam's Dask runner with the gaps closed that made a conflictwire run on it write nothing (`--runner DaskRunner`).

Beam's own `apache_beam.runners.dask.dask_runner.DaskRunner` (Beam 2.77) translates a pipeline into dask bags, but:

1. it computes only the bag of the *last* transform it visits, so every other branch of the graph (here: three
   of the four sinks) never runs;
2. a DoFn's outputs are collected *before* `finish_bundle`, so whatever a DoFn emits there is dropped (our feed
   poller and page fetcher emit their last in-flight results there, the Parquet sink its staged file names);
3. every output of a multi-output ParDo goes to every consumer: `items`, `feed_status` and dead letters of
   `PollFeeds` all reach whatever reads any one of them;
4. side inputs are computed again, inside a worker, by every task that reads them (the whole upstream graph: the
   feeds would be fetched twice);
5. it reports no metrics.

The runner here keeps Beam's translation of Create, GroupByKey and Flatten and replaces three pieces: the ParDo step
(outputs gathered after `finish_bundle`, tagged by output, split per consumer; side inputs passed in as computed
dask values, so they are computed once; one DoFn instance per worker thread, set up once and reused bundle after
bundle, never shared between threads), the visitor (every leaf of the graph is computed) and the cluster (a
LocalCluster of `--dask_workers` processes unless `--dask_client_address` or `--dask_scheduler_file` names one).
Metrics stay unreported (5): the driver reads the run's counts back from its output instead
(`pipelines/accounting.py`). Batch only, global windows only: streaming stays on Dataflow, Flink or the local
runners (docs/deploy-and-scale.md).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from typing import Any

from apache_beam import DoFn, ParDo, pvalue
from apache_beam.internal import pickler
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pipeline import PipelineVisitor
from apache_beam.runners.common import DoFnContext, DoFnInvoker, DoFnSignature, Receiver, _OutputHandler
from apache_beam.runners.runner import PipelineResult, PipelineRunner, PipelineState
from apache_beam.transforms.sideinputs import SideInputMap

log = logging.getLogger(__name__)

try:  # Beam's --dask_client_address and friends, declared where dask is installed
    from apache_beam.runners.dask.dask_runner import DaskOptions  # noqa: F401
except ImportError:  # pragma: no cover - without the extra, run_pipeline says what to install
    pass


class DaskClusterOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument(
            "--dask_workers",
            "--dask-workers",
            dest="dask_workers",
            type=int,
            default=2,
            help="DaskRunner without --dask_client_address: worker processes of the local cluster it starts (2).",
        )
        parser.add_argument(
            "--dask_threads_per_worker",
            "--dask-threads-per-worker",
            dest="dask_threads_per_worker",
            type=int,
            default=1,
            help="DaskRunner, local cluster: threads per worker process (1: a process per core).",
        )


class _Outputs(dict):
    """The tagged receivers of one bundle: every output lands in `values` as (tag, element)."""

    def __init__(self):
        super().__init__()
        self.values: list[tuple[str | None, Any]] = []

    def __missing__(self, tag):
        receiver = self[tag] = _TagReceiver(tag, self.values)
        return receiver


class _TagReceiver(Receiver):
    def __init__(self, tag, values):
        self.tag = tag
        self.values = values

    def receive(self, windowed_value):
        self.values.append((self.tag, windowed_value.value))


def _windowed(item, window_fn):
    from apache_beam.runners.dask.transform_evaluator import get_windowed_value

    return get_windowed_value(item, window_fn)


_THREAD = threading.local()


def _dofn(fn_bytes: bytes):
    """This worker thread's instance of a DoFn, and whether it is new (to be set up). One instance per thread and
    DoFn, reused bundle after bundle as Beam's runners do: `setup` (the models) runs once per thread, not per
    bundle, and a thread never shares an instance with another. `teardown` goes with the worker process."""
    instances = _THREAD.__dict__.setdefault("dofns", {})
    key = hashlib.sha256(fn_bytes).digest()
    if key in instances:
        return instances[key], False
    fn = instances[key] = pickler.loads(fn_bytes)
    return fn, True


def _run_bundle(items, fn_bytes, label, window_fn, args, kwargs, side_specs, *side_values):
    """One dask partition through a DoFn, `finish_bundle` included: [(tag, element)], tag None for the main output."""
    fn, new = _dofn(fn_bytes)
    outputs = _Outputs()
    handler = _OutputHandler(
        window_fn=window_fn,
        main_receivers=outputs[None],
        tagged_receivers=outputs,
        per_element_output_counter=None,
        output_batch_converter=None,
        process_yields_batches=False,
        process_batch_yields_elements=False,
    )
    sides = [
        SideInputMap(view_class, view_options, [_windowed(v, mapping_fn) for v in values])
        for (view_class, view_options, mapping_fn), values in zip(side_specs, side_values, strict=True)
    ]
    invoker = DoFnInvoker.create_invoker(
        DoFnSignature(fn),
        handler,
        context=DoFnContext(label, state=None),
        side_inputs=sides,
        input_args=args,
        input_kwargs=kwargs,
        user_state_context=None,
        bundle_finalizer_param=DoFn.BundleFinalizerParam(),
    )
    if new:
        invoker.invoke_setup()
    invoker.invoke_start_bundle()
    for item in items:
        invoker.invoke_process(item)
    invoker.invoke_finish_bundle()
    return outputs.values


def _has_tag(tag, pair) -> bool:
    return pair[0] == tag


def _untag(pair):
    return pair[1]


def _concat(lists):
    return [value for part in lists for value in part]


class _Visitor(PipelineVisitor):
    """Beam transforms -> dask bags. A ParDo's bag holds (tag, element); each consumer gets its own tag's bag."""

    def __init__(self, bag_kwargs: dict):
        self.bag_kwargs = bag_kwargs
        self.bags: dict = {}  # applied transform -> bag (for a ParDo: its tagged bag)
        self.tagged: set = set()  # transforms whose bag holds (tag, element) pairs
        self.split: dict = {}  # (transform, tag) -> that output's bag
        self.consumed: set = set()
        self.order: list = []

    def bag_of(self, pcoll):
        producer = pcoll.producer
        self.consumed.add(producer)
        if producer not in self.bags:
            return None
        if producer not in self.tagged:
            return self.bags[producer]
        key = (producer, pcoll.tag)
        if key not in self.split:
            self.split[key] = self.bags[producer].filter(functools.partial(_has_tag, pcoll.tag)).map(_untag)
        return self.split[key]

    def visit_transform(self, node) -> None:
        from apache_beam.runners.dask.transform_evaluator import TRANSLATIONS, Flatten, NoOp

        inputs = [None if isinstance(i, pvalue.PBegin) else self.bag_of(i) for i in node.inputs]
        inputs = [i for i in inputs if i is not None] or [None]
        self.order.append(node)
        if type(node.transform) is ParDo:
            self.bags[node] = self._pardo(node, inputs[0])
            self.tagged.add(node)
            return
        op = TRANSLATIONS.get(type(node.transform), NoOp)(node, bag_kwargs=self.bag_kwargs)
        bag_input = inputs if op.__class__ is Flatten else inputs[0]
        self.bags[node] = op.apply(input_bag=bag_input, side_inputs=None)

    def _pardo(self, node, input_bag):
        transform = node.transform
        args, kwargs = transform.args, transform.kwargs  # side inputs as placeholders, filled from `sides`
        main_input = next(iter(node.main_inputs.values()))
        window_fn = main_input.windowing.windowfn if hasattr(main_input, "windowing") else None
        specs, values = [], []
        for side in node.side_inputs:
            bag = self.bag_of(side.pvalue)
            specs.append((type(side), side._view_options(), side._window_mapping_fn))
            # One dask value, computed once for every task that reads it. A Delayed, not the Item itself: dask
            # renames (and so recomputes) the whole upstream graph of any other collection passed as an argument.
            values.append(bag.reduction(list, _concat).to_delayed(optimize_graph=False))
        return input_bag.map(_windowed, window_fn).map_partitions(
            _run_bundle, pickler.dumps(transform.fn), transform.label, window_fn, list(args), kwargs, specs, *values
        )

    def leaves(self) -> list:
        return [self.bags[n] for n in self.order if n not in self.consumed and self.bags.get(n) is not None]


class DaskRunnerResult(PipelineResult):
    def __init__(self, client, futures, cluster=None):
        super().__init__(PipelineState.RUNNING)
        self.client = client
        self.futures = futures
        self.cluster = cluster

    def wait_until_finish(self, duration=None):
        import dask.distributed as ddist

        try:
            timeout = duration / 1000 if duration is not None else None
            for _ in ddist.as_completed(self.futures, timeout=timeout, with_results=True):
                pass  # gathering raises a worker's exception here, in the driver
            self._state = PipelineState.DONE
        except BaseException:
            self._state = PipelineState.FAILED
            raise
        finally:
            self._close()
        return self._state

    def _close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def cancel(self):
        self.client.cancel(self.futures)
        self._close()
        self._state = PipelineState.CANCELLED
        return self._state

    def metrics(self):
        raise NotImplementedError("the Dask runner collects no Beam metrics")


class DaskRunner(PipelineRunner):
    """Runs a batch pipeline on a dask.distributed cluster; see the module's docstring for what it changes."""

    def run_pipeline(self, pipeline, options):
        try:
            import dask.distributed as ddist
            from apache_beam.runners.dask.dask_runner import DaskOptions
            from apache_beam.runners.dask.overrides import dask_overrides
        except ImportError as exc:
            raise ImportError("the Dask runner needs the dask extra: pip install 'conflictwire[dask]'") from exc
        from apache_beam.options.pipeline_options import StandardOptions

        if options.view_as(StandardOptions).streaming:
            raise ValueError("the Dask runner runs batch pipelines only; stream on Dataflow, Flink or FnApiRunner")
        dask_options = options.view_as(DaskOptions).get_all_options(drop_default=True, current_only=True)
        bag_kwargs = DaskOptions._extract_bag_kwargs(dask_options)
        cluster = None
        if dask_options.get("address") or dask_options.get("scheduler_file"):
            client = ddist.Client(**dask_options)
        else:
            local = options.view_as(DaskClusterOptions)
            logging.getLogger("distributed").setLevel(logging.WARNING)  # the scheduler runs in this process
            cluster = ddist.LocalCluster(
                n_workers=max(1, local.dask_workers),
                threads_per_worker=max(1, local.dask_threads_per_worker),
                processes=True,
                dashboard_address=None,
                silence_logs=logging.WARNING,
            )
            client = ddist.Client(cluster, **{k: v for k, v in dask_options.items() if k != "address"})
        if not bag_kwargs:
            # Create's partitions set the parallelism of every stage after it (GroupByKey keeps the count):
            # two per worker thread, where Beam's default of 128 elements each puts a few hundred feeds in one.
            threads = sum(client.nthreads().values()) or 1
            bag_kwargs = {"npartitions": 2 * threads}
        pipeline.replace_all(dask_overrides())
        visitor = _Visitor(bag_kwargs)
        pipeline.visit(visitor)
        leaves = [bag.count() for bag in visitor.leaves()]
        try:
            futures = client.compute(leaves, optimize_graph=False)
        except BaseException:
            client.close()
            if cluster is not None:
                cluster.close()
            raise
        return DaskRunnerResult(client, futures, cluster)
