"""Audit log (审计日志, SPEC F-15): append-only entries in keyed hash chains (one chain per
region, see :func:`xueji.audit.rules.chain_of`), and one head row per chain naming its
newest entry.

Entries are written only by :func:`xueji.audit.services.record_event`. The model refuses
to change or delete a stored entry, and so does its queryset; what the ORM can't stop
(raw SQL, a database console) the chain makes visible: ``manage.py verify_audit``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from . import rules


class AuditLogImmutable(Exception):
    """Raised on any attempt to change or delete an audit entry through the ORM."""


#: Foreign keys a deleted user or school sets to NULL (Django's ``on_delete=SET_NULL``
#: runs as ``queryset.update(field=None)``). They are not covered by the hash: the text
#: copies are.
_NULLABLE_LINKS = frozenset({"actor", "actor_id", "school", "school_id"})


class AuditEntryQuerySet(models.QuerySet):
    """Refuses bulk changes: an audit entry is written once and never changed."""

    def update(self, **kwargs):
        # The one exception: a deleted user or school detaches itself (SET_NULL).
        if kwargs and set(kwargs) <= _NULLABLE_LINKS and all(v is None for v in kwargs.values()):
            return super().update(**kwargs)
        raise AuditLogImmutable("审计日志不可修改")

    def delete(self):
        raise AuditLogImmutable("审计日志不可删除")

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditLogImmutable("审计日志不可修改")

    def bulk_create(self, objs, *args, **kwargs):
        raise AuditLogImmutable("审计日志只能通过 record_event 逐条写入")

    def update_or_create(self, *args, **kwargs):
        raise AuditLogImmutable("审计日志不可修改")


class AuditEntryManager(models.Manager.from_queryset(AuditEntryQuerySet)):
    pass


class AuditEntry(models.Model):
    """审计日志记录: who did what, when, from where, to what, with before/after values.

    ``id`` is a global number (编号) for lists and links, ordered like the writes but with
    holes where a transaction rolled back; it is not hashed. The chain is ``chain`` +
    ``seq``: ``seq`` is assigned by the service from the chain's head row under its lock, so
    it is gapless within the chain even when a transaction rolls back (a database sequence
    would leave a hole that the verifier could not tell from a removed entry).
    """

    id = models.BigAutoField("编号", primary_key=True)
    chain = models.CharField("分区链", max_length=6)
    seq = models.BigIntegerField("链内序号")
    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        "accounts.User", verbose_name="操作人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="audit_entries",
    )
    actor_username = models.CharField("操作人用户名", max_length=150, blank=True, db_index=True)
    actor_name = models.CharField("操作人姓名", max_length=50, blank=True)
    actor_role = models.CharField("操作人角色", max_length=32, blank=True)
    unit_name = models.CharField("操作人单位", max_length=100, blank=True)
    authority_prefix = models.CharField(
        "范围前缀", max_length=6, blank=True, db_index=True,
        help_text="事件所属单位的教育行政部门范围前缀,用于按数据范围查询",
    )
    school = models.ForeignKey(
        "org.School", verbose_name="学校", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    action = models.CharField("操作类型", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=100, blank=True)
    object_id = models.CharField("对象标识", max_length=64, blank=True, db_index=True)
    summary = models.TextField("摘要")
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    prev_hash = models.CharField("前序哈希", max_length=64)
    entry_hash = models.CharField("本条哈希", max_length=64, unique=True)

    objects = AuditEntryManager()

    class Meta:
        db_table = "audit_entry"
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-id"]
        get_latest_by = "id"
        base_manager_name = "objects"
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_entry_chain_seq"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="audit_entry_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.summary[:40]}"

    def save(self, *args, **kwargs):
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AuditLogImmutable(f"审计日志不可修改(编号 {self.pk})")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        raise AuditLogImmutable(f"审计日志不可删除(编号 {self.pk})")

    delete.alters_data = True

    # --- display helpers -------------------------------------------------------------
    @property
    def actor_display(self) -> str:
        if self.actor_name and self.actor_username:
            return f"{self.actor_name}({self.actor_username})"
        # no person: the system (a background job, a scheduled check, the demo's setup)
        return self.actor_name or self.actor_username or "系统"

    @property
    def actor_role_display(self) -> str:
        return rules.ROLE_LABELS.get(self.actor_role, self.actor_role)

    @property
    def action_display(self) -> str:
        return rules.action_label(self.action)

    @property
    def object_display(self) -> str:
        """``学籍 524``: the object type's Chinese name and the object's identifier."""
        from . import display

        return display.object_display(self.object_type, self.object_id)

    def chain_fields(self) -> dict:
        return {name: getattr(self, name) for name in rules.CHAIN_FIELDS}

    @property
    def hash_is_valid(self) -> bool:
        """This entry's content still matches its hash (the link to its neighbours is
        checked by ``verify_audit``)."""
        from django.conf import settings

        return rules.entry_hash_of(self.chain_fields(), settings.XUEJI_AUDIT_KEY) == self.entry_hash


class AuditHeadQuerySet(models.QuerySet):
    def delete(self):
        raise AuditLogImmutable("审计日志链头不可删除")

    delete.alters_data = True
    delete.queryset_only = True


class AuditHead(models.Model):
    """审计日志链头: one row per chain naming its newest entry (seq and hash), so that
    removing the newest entries is detectable. ``mac`` authenticates the row with the audit
    key, so it can't be rewound by whoever lacks the key; an authentic older row copied
    back is caught by the anchors (``xueji.audit.anchors``). Rows are created on a chain's
    first entry."""

    chain = models.CharField("分区链", max_length=6, primary_key=True)
    last_seq = models.BigIntegerField("最后序号", default=0)
    last_hash = models.CharField("最后哈希", max_length=64, default=rules.GENESIS_HASH)
    mac = models.CharField("链头校验码", max_length=64, blank=True)

    objects = AuditHeadQuerySet.as_manager()

    class Meta:
        db_table = "audit_head"
        verbose_name = "审计日志链头"
        verbose_name_plural = "审计日志链头"
        default_permissions = ()

    def __str__(self) -> str:
        return f"审计日志链头 {self.chain}: 第 {self.last_seq} 条"

    def delete(self, *args, **kwargs):
        raise AuditLogImmutable("审计日志链头不可删除")

    delete.alters_data = True

    def as_rule(self) -> rules.Head:
        return rules.Head(self.chain, self.last_seq, self.last_hash, self.mac)
