"""The reminder tick: claim due chats -> pick routine -> write delivery -> advance -> send.

One repeating JobQueue job calls `Dispatcher.tick(now)` every few seconds; no job per
subscriber, so memory and start-up time do not grow with subscribers. Each tick:

1. renews this worker's heartbeat and, when `use_leader`, the leader lease (only the leader
   sends reminders; another process takes over once the lease lapses);
2. expires snoozes and orphaned sends older than the grace window;
3. re-claims orphaned pending rows (written by a worker that died before it recorded the
   answer) and due snoozes;
4. claims due chats in batches (FOR UPDATE SKIP LOCKED on PostgreSQL), and in one transaction
   per batch writes the delivery rows (unique per chat, slot and kind) and moves each chat's
   next due moment on; a crowded coming minute (more reminders than leave in a minute at the
   send rate) is claimed early, after everything already due (see `_claim_until`);
5. only after that commit, sends: concurrently, bounded, through the rate limiter, recording
   sent / failed / blocked per row (answers that arrive together are committed together).

A crash after the commit leaves rows "pending"; they are retried by the next worker once the
dead worker's heartbeat has expired, still within the grace window. The only possible repeats
are sends that were in flight at the crash.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import metrics
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.content.models import Catalogue
from bot.outgoing import Outcome, Outgoing, Result, Sender, SendPolicy
from bot.scheduling import busy as busy_rule
from bot.scheduling.paid import PaidBroadcasts
from bot.scheduling.rules import (
    DONE_BEFORE,
    MICROSECOND,
    Placement,
    SlotPlan,
    early_start,
    place_reminder,
    plan_due,
    still_wanted,
)
from bot.scheduling.timemath import as_utc
from bot.services.reminders import choose_routine, keyboard, reminder_text, replan_moved
from bot.storage import calendars, chats, completions, deliveries, leases
from bot.storage.db import Database
from bot.storage.models import Delivery, DeliveryKind, DeliveryStatus

log = logging.getLogger(__name__)

# How far back "the last five reminders" are looked for (five weeks of a once-a-week schedule).
RECENT_HISTORY = timedelta(days=60)


@dataclass(frozen=True)
class Job:
    """One send, detached from any database session."""

    delivery_id: int
    chat_id: int
    kind: str
    routine_id: str | None
    due_at: datetime
    lang: str


@dataclass
class TickReport:
    leader: bool = False
    reminders: int = 0
    skipped: int = 0
    moved: int = 0  # past a meeting: sent later (as a scheduled row)
    busy: int = 0  # in a meeting that ran too long: skipped
    moved_again: int = 0  # a moved reminder whose new time a meeting now covers
    done_before: int = 0  # a break was done shortly before: not sent
    early: int = 0  # reminders of a crowded coming minute, claimed before their due moment
    cancelled: int = 0  # snoozes and moved reminders of chats stopped or paused since
    snoozes: int = 0
    recovered: int = 0
    expired: int = 0

    @property
    def sends(self) -> int:
        return self.reminders + self.snoozes + self.recovered


@dataclass
class _Flight:
    """Where one send task is. Abandoning it at shutdown is safe only before its request is
    on the wire: then the row stays pending and the next worker sends it, exactly once."""

    policy: SendPolicy | None = None
    answered: bool = False

    @property
    def abandonable(self) -> bool:
        return not self.answered and (self.policy is None or not self.policy.on_wire)


@dataclass
class _Pending:
    """An answer waiting to be written (Dispatcher._write), and the send waiting for it."""

    answer: deliveries.Answer
    done: asyncio.Future[None]

    def settle(self, error: Exception | None) -> None:
        """Wake the send waiting for it (unless it was cancelled meanwhile)."""
        if self.done.done():
            return
        if error is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(error)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:20]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Dispatcher:
    """Claims due reminders and sends them; see the module docstring for the guarantees."""

    def __init__(
        self,
        db: Database,
        sender: Sender,
        catalogue: Catalogue,
        *,
        grace: timedelta,
        max_late: timedelta | None = None,
        clock: Clock = system_clock,
        lease: timedelta = timedelta(seconds=20),
        use_leader: bool = True,
        worker_id: str | None = None,
        rng: random.Random | None = None,
        batch_size: int = 200,
        max_in_flight: int = 2000,
        concurrency: int = 64,
        move_window: timedelta = timedelta(minutes=90),
        paid: PaidBroadcasts | None = None,
        early_start_max: timedelta = timedelta(0),
        send_rate: float = 0.0,
    ) -> None:
        self.db = db
        self.sender = sender
        self.grace = grace
        self.max_late = max_late
        self.clock = clock
        # Slots due from now on are late only through load (the send limit), not downtime.
        self.up_since = clock()
        self.lease = lease
        self.use_leader = use_leader
        self.worker_key = leases.WORKER_PREFIX + (worker_id or new_worker_id())
        self.catalogue = catalogue
        self.rng = rng or random.Random()
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.move_window = move_window
        # PAID_BROADCAST_RATE: None (off) never flags a send.
        self.paid = paid
        # Early start of crowded minutes (rules.early_start): the cap and the send rate it is
        # judged against; the coming minute and its early start, counted once per minute.
        self.early_start_max = early_start_max
        self.send_rate = send_rate
        self._early: tuple[datetime, float] | None = None
        self._semaphore = asyncio.Semaphore(concurrency)
        self._tasks: dict[asyncio.Task[None], _Flight] = {}
        self._answers: list[_Pending] = []  # answered, not yet written (see `_write`)
        self._writer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._ticks = 0
        self._closed = False
        self.is_leader = False

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def tick(self, now: datetime | None = None) -> TickReport:
        """One pass: claim what is due at `now` and start sending it (see `drain`)."""
        now = now or self.clock()
        report = TickReport()
        async with self._lock:
            if self._closed:
                return report
            async with self.db.session() as session:
                await leases.heartbeat(session, self.worker_key, now, self.lease)
                self.is_leader = not self.use_leader or await leases.try_lead(
                    session, self.worker_key, now, self.lease
                )
            report.leader = self.is_leader
            if not self.is_leader:
                return report
            self._ticks += 1
            oldest = now - self.grace
            async with self.db.session() as session:
                report.expired = await deliveries.expire_stale(session, now, oldest)
                if self._ticks % 720 == 1:
                    await leases.prune_workers(session, now - timedelta(days=1))
            jobs: list[Job] = []
            async with self.db.session() as session:
                rows = await deliveries.claim_orphans(
                    session, self.worker_key, now, oldest, self._capacity(jobs)
                )
                recovered = await self._jobs(session, rows, now, report)
                jobs += recovered
                report.recovered = len(recovered)
            async with self.db.session() as session:
                rows = await deliveries.claim_scheduled(
                    session, self.worker_key, now, oldest, self._capacity(jobs)
                )
                # A moved reminder is checked once more against the busy time stored now:
                # a meeting that ran longer moves it again (or skips it), in this same
                # transaction, so the slot still goes out once.
                replanned = await replan_moved(
                    session, rows, now, self.move_window, status_was=DeliveryStatus.PENDING
                )
                waiting = await self._jobs(session, replanned.kept, now, report)
                jobs += waiting
                report.snoozes = len(waiting)
                report.moved_again = replanned.moved
                report.busy += replanned.skipped
            drained = False  # a short batch means no due chat is left unclaimed
            until = await self._claim_until(now)
            while (limit := min(self.batch_size, self._capacity(jobs))) > 0:
                claimed, new_jobs = await self._claim_chats(now, limit, report, until)
                jobs += new_jobs
                if claimed < limit:
                    drained = True
                    break
            report.reminders = len(jobs) - report.recovered - report.snoozes
            for job in jobs:
                self._spawn(job)
            backlog = 0
            if not drained:  # stopped by the send queue's capacity: count what still waits
                async with self.db.session() as session:
                    backlog = await deliveries.count_due_chats(session, now)
            metrics.DUE_BACKLOG.set(backlog + len(self._tasks))
        if (
            report.sends
            or report.skipped
            or report.expired
            or report.moved
            or report.busy
            or report.moved_again
            or report.cancelled
        ):
            log.info(
                "tick: %d reminders, %d snoozes, %d recovered, %d skipped, %d expired, "
                "%d moved past a meeting, %d moved again, %d skipped in a meeting, "
                "%d done before, %d early (a crowded minute), %d cancelled (stopped or paused)",
                report.reminders,
                report.snoozes,
                report.recovered,
                report.skipped,
                report.expired,
                report.moved,
                report.moved_again,
                report.busy,
                report.done_before,
                report.early,
                report.cancelled,
            )
        return report

    async def _claim_until(self, now: datetime) -> datetime:
        """Up to which due moment chats are claimed at `now`: `now` itself, or the end of the
        coming minute once its early start (rules.early_start from the chats due in it and
        the send rate) has come. A minute that fits in a minute is never claimed early.

        The minute's count is taken once, at the first tick within EARLY_START_MAX of it:
        claiming moves chats out of it, and a recount would shrink its early start."""
        cap = self.early_start_max.total_seconds()
        if cap <= 0 or self.send_rate <= 0:
            return now
        minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        if (minute - now).total_seconds() > cap:
            return now
        if self._early is None or self._early[0] != minute:
            async with self.db.session() as session:
                due = await deliveries.count_due_between(
                    session, minute, minute + timedelta(minutes=1)
                )
            self._early = (minute, early_start(due, self.send_rate, cap))
        if now < minute - timedelta(seconds=self._early[1]):
            return now
        return minute + timedelta(minutes=1) - MICROSECOND

    def _capacity(self, jobs: list[Job]) -> int:
        """Backpressure: claim no more than the send queue can hold; the rest stays due."""
        return max(0, self.max_in_flight - len(self._tasks) - len(jobs))

    async def _jobs(
        self, session: Any, rows: Sequence[Delivery], now: datetime, report: TickReport
    ) -> list[Job]:
        """Jobs for rows written earlier and claimed now, in their chat's language; a row
        whose chat stopped or paused since (rules.still_wanted) is cancelled instead."""
        if not rows:
            return []
        langs: dict[int, str] = {}
        dropped: set[int] = set()
        for row in rows:
            if row.chat_id not in langs:
                chat = await chats.get(session, row.chat_id)
                langs[row.chat_id] = chat.language if chat else "en"
                if chat is not None and not still_wanted(chat, now):
                    dropped.add(row.chat_id)
        cancelled = [row.id for row in rows if row.chat_id in dropped]
        if cancelled:
            await deliveries.cancel(session, cancelled)
            report.cancelled += len(cancelled)
        return [self._job(row, langs[row.chat_id]) for row in rows if row.chat_id not in dropped]

    @staticmethod
    def _job(row: Delivery, lang: str) -> Job:
        return Job(row.id, row.chat_id, row.kind, row.routine_id, as_utc(row.due_at), lang)

    async def _claim_chats(
        self, now: datetime, limit: int, report: TickReport, until: datetime | None = None
    ) -> tuple[int, list[Job]]:
        """One batch in one transaction: rows written and next due moments moved together.

        Chats due up to `until` (after `now` when a crowded minute starts early), oldest
        first; a chat claimed early is planned as at its due moment, so every rule (pause,
        grace, done before, meetings) decides as it would then."""
        async with self.db.session() as session:
            due = await deliveries.claim_due_chats(session, until or now, limit)
            if not due:
                return 0, []
            plans = {
                chat.id: plan_due(
                    chat,
                    chat.next_due_at,
                    max(now, as_utc(chat.next_due_at)) if chat.next_due_at else now,
                    self.grace,
                    max_late=self.max_late,
                    up_since=self.up_since,
                )
                for chat in due
            }
            recent = await deliveries.recent_routines(
                session,
                [chat.id for chat in due if plans[chat.id].slot is not None],
                since=now - RECENT_HISTORY,
            )
            slotted = [chat.id for chat in due if plans[chat.id].slot is not None]
            earliest = now - self.grace - DONE_BEFORE
            # One query each for the whole batch: busy time around the slots, last breaks done.
            busy = await calendars.busy_for_chats(
                session, slotted, earliest, now + self.move_window + timedelta(hours=1)
            )
            done = await completions.last_done(
                session, [chat_id for chat_id in slotted if chat_id > 0], earliest
            )
            rows: list[dict[str, Any]] = []
            langs: dict[int, str] = {}
            for chat in due:
                chat_plan = plans[chat.id]
                chat.next_due_at = chat_plan.next_due
                report.skipped += chat_plan.skipped
                for cause in chat_plan.causes:
                    metrics.REMINDERS_SKIPPED.labels(cause).inc()
                if chat_plan.slot is None:
                    continue
                placed = place_reminder(
                    chat,
                    chat_plan.slot,
                    busy=busy.get(chat.id, ()),
                    last_done=done.get(chat.id),
                    window=self.move_window,
                )
                routine = choose_routine(
                    self.catalogue, chat.place, recent.get(chat.id, []), self.rng
                )
                langs[chat.id] = chat.language
                row = self._row(chat.id, chat_plan.slot, routine.id, placed, now, report)
                if row["status"] == DeliveryStatus.PENDING and row["due_at"] > now:
                    if busy_rule.free_between(now, row["due_at"], busy.get(chat.id, ())):
                        report.early += 1
                    else:  # early would land in a meeting: wait for the slot itself
                        row.update(status=DeliveryStatus.SCHEDULED, claimed_by=None)
                rows.append(row)
            inserted = await deliveries.insert_new(session, rows)
            return len(due), [
                self._job(row, langs[row.chat_id])
                for row in inserted
                if row.status == DeliveryStatus.PENDING
            ]

    def _row(
        self,
        chat_id: int,
        slot: datetime,
        routine_id: str,
        placed: SlotPlan,
        now: datetime,
        report: TickReport,
    ) -> dict[str, Any]:
        """The slot's one delivery row, keyed by the slot itself whatever happens to it: a
        moved reminder waits as a scheduled row (a restart during the meeting sends it once,
        when it is due), a skipped or replaced one is recorded without a send."""
        status, due_at = DeliveryStatus.PENDING, slot
        claimed_by: str | None = self.worker_key
        if placed.placement is Placement.MOVED:
            report.moved += 1
            assert placed.due_at is not None
            due_at = placed.due_at
            if due_at > now:
                status, claimed_by = DeliveryStatus.SCHEDULED, None
        elif placed.placement is not Placement.SEND:
            busy = placed.placement is Placement.BUSY
            report.busy += busy
            report.done_before += not busy
            status = DeliveryStatus.BUSY if busy else DeliveryStatus.DONE_BEFORE
            claimed_by = None
        if placed.placement is not Placement.SEND:
            metrics.REMINDERS_RESCHEDULED.labels(placed.placement.value).inc()
        return {
            "chat_id": chat_id,
            "slot_at": slot,
            "due_at": due_at,
            "kind": DeliveryKind.REMINDER,
            "routine_id": routine_id,
            "status": status,
            "attempts": 0,
            "claimed_by": claimed_by,
        }

    def _spawn(self, job: Job) -> None:
        flight = _Flight()
        task = asyncio.create_task(self._deliver(job, flight), name=f"reminder-{job.delivery_id}")
        self._tasks[task] = flight
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)

    async def drain(self) -> None:
        """Wait until every send started so far has been answered and recorded."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _deliver(self, job: Job, flight: _Flight | None = None) -> None:
        flight = flight or _Flight()
        async with self._semaphore:
            if self._closed:  # stopping: the row stays pending for the next worker
                return
            outcome = await self.send(job, flight)
            flight.answered = True
        for attempt in range(3):
            try:
                await self._record(job, outcome)
                return
            except Exception:
                log.exception("could not record delivery %s (try %d)", job.delivery_id, attempt)
                await asyncio.sleep(0.5 * (attempt + 1))

    async def send(self, job: Job, flight: _Flight | None = None) -> Outcome:
        """Send one reminder through the outbox; its budget lasts until the grace window ends
        (the rate limiter retries 429s, 5xx and connection errors within it). With paid
        broadcasts on, a reminder later than their threshold (or predicted to be) is flagged
        here, as it starts: at most SEND_CONCURRENCY sends wait in the limiter ahead of it."""
        now = self.clock()
        budget = max(1.0, (job.due_at + self.grace - now).total_seconds())
        paid = self.paid is not None and self.paid.pays(job.due_at, now)
        policy = SendPolicy(budget)
        if flight is not None:
            flight.policy = policy
        text = reminder_text(self.catalogue, job.routine_id, job.lang, kind=job.kind)
        # Telegram's group and supergroup ids are negative: they get the Done-only keyboard.
        buttons = keyboard(
            job.delivery_id,
            job.lang,
            snoozable=job.kind == DeliveryKind.REMINDER,
            group=job.chat_id < 0,
        )
        outcome = await self.sender.deliver(
            Outgoing(job.chat_id, text, buttons, paid_broadcast=paid), policy
        )
        if outcome.result is Result.FAILED and outcome.reason == "bad_request":
            log.error("reminder %s refused: %s", job.delivery_id, outcome.error)
        elif not outcome.sent and outcome.result is not Result.BLOCKED:
            log.warning(
                "reminder %s to chat %s failed: %s", job.delivery_id, job.chat_id, outcome.error
            )
        return outcome

    async def _record(self, job: Job, outcome: Outcome) -> None:
        if outcome.sent:
            metrics.reminder_sent((self.clock() - job.due_at).total_seconds())
        else:
            metrics.reminder_failed(outcome.reason)
        # A reminder's retries are over once its budget is: "retry later" is a failure here.
        status = {
            Result.SENT: DeliveryStatus.SENT,
            Result.BLOCKED: DeliveryStatus.BLOCKED,
        }.get(outcome.result, DeliveryStatus.FAILED)
        answer = deliveries.Answer(
            job.delivery_id,
            status,
            self.clock(),
            attempts=outcome.attempts,
            message_id=outcome.message_id,
            error=outcome.error,
        )
        await self._write(answer)

    async def _write(self, answer: deliveries.Answer) -> None:
        """Record one answer, committed together with the others that arrived meanwhile
        (group commit): a writer task writes whatever is queued in one transaction, then
        what queued during that one. At a trickle each answer is written at once, as
        before; at hundreds of sends a second the bot spends one transaction per batch
        instead of one per send. Returns once this answer is committed."""
        pending = _Pending(answer, asyncio.get_running_loop().create_future())
        self._answers.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_answers(), name="delivery-writer")
        await pending.done

    async def _write_answers(self) -> None:
        while self._answers:
            batch, self._answers = self._answers, []
            try:
                async with self.db.session() as session:
                    await deliveries.finish_many(session, [p.answer for p in batch])
            except Exception:  # one bad row must not fail the others: each on its own
                for pending in batch:
                    try:
                        async with self.db.session() as session:
                            await deliveries.finish_many(session, [pending.answer])
                    except Exception as exc:
                        pending.settle(exc)
                    else:
                        pending.settle(None)
            else:
                for pending in batch:
                    pending.settle(None)

    async def stop(self, wait_seconds: float = 10.0) -> None:
        """Stop claiming, abandon the sends that have not reached Telegram yet, and let those
        on the wire finish and be recorded for up to `wait_seconds`.

        Abandoned sends stay pending; once `release` drops the heartbeat, the next leader
        takes them over at once, so they arrive exactly once. Waiting for the whole queue
        instead would outlast the shutdown budget in a burst, and cutting off a request on
        the wire may deliver it without recording it (sent twice after the restart)."""
        async with self._lock:
            self._closed = True
        abandoned = [task for task, flight in self._tasks.items() if flight.abandonable]
        for task in abandoned:
            task.cancel()
        if abandoned:
            log.info("stopping: %d reminder sends left for the next start", len(abandoned))
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=wait_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        writer = self._writer  # answers already taken from a cancelled send: write them
        if writer is not None and not writer.done():
            _, late = await asyncio.wait({writer}, timeout=wait_seconds)
            for task in late:
                task.cancel()

    async def release(self) -> None:
        """Give up the leader lease and the heartbeat so a standby takes over without delay."""
        try:
            async with self.db.session() as session:
                await leases.release(session, self.worker_key)
        except Exception:
            log.exception("could not release the leader lease")
        self.is_leader = False

    async def shutdown(self, wait_seconds: float = 10.0) -> None:
        await self.stop(wait_seconds)
        await self.release()


def from_settings(
    sender: Sender, catalogue: Catalogue, settings: Settings, db: Database, clock: Clock
) -> Dispatcher:
    lease = max(settings.leader_lease_seconds, 2 * settings.tick_seconds + 1)
    return Dispatcher(
        db,
        sender,
        catalogue,
        grace=timedelta(minutes=settings.grace_minutes),
        max_late=timedelta(minutes=settings.max_late_minutes),
        clock=clock,
        lease=timedelta(seconds=lease),
        concurrency=settings.send_concurrency,
        move_window=timedelta(minutes=settings.calendar_move_window_minutes),
        paid=(
            PaidBroadcasts(timedelta(seconds=settings.paid_broadcast_after_seconds))
            if settings.paid_broadcast_rate
            else None
        ),
        early_start_max=timedelta(seconds=settings.early_start_max_seconds),
        # A crowded minute the capacity model foresees goes at the paid rate when it is on.
        send_rate=settings.paid_broadcast_rate or settings.send_rate_per_second,
    )
