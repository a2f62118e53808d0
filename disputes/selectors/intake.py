"""登记 reads: the case a machine channel already handed over, by its own record id or Idempotency-Key."""

from disputes.models import ChannelKey, Dispute, IdempotencyRecord


def dispute_by_source(*, channel: str, channel_key: ChannelKey | None, source_id: str) -> Dispute | None:
    """The case stored for this source record: the key's own; without a key, the channel's keyless one.

    Never another key's case, even of the same channel: two 110 centres may number their
    incidents alike, and a resent id must neither show one system the other's case nor
    drop its own record. Cases stored before keys were recorded (channel_key empty) are
    not matched by a key: which system sent them is not known.
    """
    if channel_key is not None:
        return Dispute.objects.filter(channel_key=channel_key, source_id=source_id).first()
    return Dispute.objects.filter(channel=channel, channel_key__isnull=True, source_id=source_id).first()


def idempotency_record(*, channel_key: ChannelKey, key: str) -> IdempotencyRecord | None:
    """The request this key already sent with this Idempotency-Key, with its case; None if none."""
    return IdempotencyRecord.objects.select_related("dispute").filter(channel_key=channel_key, key=key).first()
