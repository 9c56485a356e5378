"""The audit log becomes partitioned: one chain per region (``rules.chain_of``), a head
row per chain, a global ``id`` and a per-chain ``seq`` covered by the hash.

The tables are rebuilt: the old ones are renamed in the migration state (not in the
database), the new tables ``audit_entry`` and ``audit_head`` are created, the old
entries are copied in their old order — ``id`` keeps the old ``seq``, so old links still
work — into the chain of their ``authority_prefix``, numbered and hashed again with the
current key, and the old tables are dropped. The old chain is not checked first: this
runs on development databases only (there is no production data); see docs/AUDIT.md.
"""

import django.db.models.deletion
from django.conf import settings
from django.core.management.color import no_style
from django.db import migrations, models

BATCH = 2000


def rechain(apps, schema_editor):
    from xueji.audit import rules

    legacy = apps.get_model("audit", "LegacyAuditEntry")
    entry_model = apps.get_model("audit", "AuditEntry")
    head_model = apps.get_model("audit", "AuditHead")
    key = settings.XUEJI_AUDIT_KEY
    digits = int(getattr(settings, "XUEJI_AUDIT_CHAIN_DIGITS", rules.DEFAULT_CHAIN_DIGITS))
    copied = [name for name in rules.HASHED_FIELDS if name not in ("chain", "seq")]
    heads: dict[str, tuple[int, str]] = {}
    batch = []
    count = 0
    for old in legacy.objects.order_by("seq").iterator(chunk_size=BATCH):
        chain = rules.chain_of(old.authority_prefix, digits)
        last_seq, last_hash = heads.get(chain, (0, rules.GENESIS_HASH))
        fields = {name: getattr(old, name) for name in copied}
        fields.update(chain=chain, seq=last_seq + 1, prev_hash=last_hash)
        fields["entry_hash"] = rules.entry_hash_of(fields, key)
        batch.append(entry_model(id=old.seq, actor_id=old.actor_id, school_id=old.school_id,
                                 **fields))
        heads[chain] = (last_seq + 1, fields["entry_hash"])
        count += 1
        if len(batch) >= BATCH:
            entry_model.objects.bulk_create(batch)
            batch = []
    if batch:
        entry_model.objects.bulk_create(batch)
    head_model.objects.bulk_create([
        head_model(chain=chain, last_seq=seq, last_hash=entry_hash,
                   mac=rules.head_mac(chain, seq, entry_hash, key))
        for chain, (seq, entry_hash) in heads.items()
    ])
    if count:
        # Rows were inserted with explicit ids: move the id sequence past them.
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [entry_model]):
                cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0001_initial'),
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Free the reverse accessors for the new model (no database change).
        migrations.AlterField(
            model_name='auditentry', name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人'),
        ),
        migrations.AlterField(
            model_name='auditentry', name='school',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='org.school', verbose_name='学校'),
        ),
        # The old tables keep their names in the database, under new model names.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RenameModel('AuditEntry', 'LegacyAuditEntry'),
            migrations.AlterModelTable('LegacyAuditEntry', 'audit_auditentry'),
            migrations.RenameModel('AuditHead', 'LegacyAuditHead'),
            migrations.AlterModelTable('LegacyAuditHead', 'audit_audithead'),
        ]),
        migrations.CreateModel(
            name='AuditHead',
            fields=[
                ('chain', models.CharField(max_length=6, primary_key=True, serialize=False, verbose_name='分区链')),
                ('last_seq', models.BigIntegerField(default=0, verbose_name='最后序号')),
                ('last_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64, verbose_name='最后哈希')),
                ('mac', models.CharField(blank=True, max_length=64, verbose_name='链头校验码')),
            ],
            options={
                'verbose_name': '审计日志链头',
                'verbose_name_plural': '审计日志链头',
                'db_table': 'audit_head',
                'default_permissions': (),
            },
        ),
        migrations.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False, verbose_name='编号')),
                ('chain', models.CharField(max_length=6, verbose_name='分区链')),
                ('seq', models.BigIntegerField(verbose_name='链内序号')),
                ('occurred_at', models.DateTimeField(db_index=True, verbose_name='时间')),
                ('actor_username', models.CharField(blank=True, db_index=True, max_length=150, verbose_name='操作人用户名')),
                ('actor_name', models.CharField(blank=True, max_length=50, verbose_name='操作人姓名')),
                ('actor_role', models.CharField(blank=True, max_length=32, verbose_name='操作人角色')),
                ('unit_name', models.CharField(blank=True, max_length=100, verbose_name='操作人单位')),
                ('authority_prefix', models.CharField(blank=True, db_index=True, help_text='事件所属单位的教育行政部门范围前缀,用于按数据范围查询', max_length=6, verbose_name='范围前缀')),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP 地址')),
                ('action', models.CharField(db_index=True, max_length=64, verbose_name='操作类型')),
                ('object_type', models.CharField(blank=True, max_length=100, verbose_name='对象类型')),
                ('object_id', models.CharField(blank=True, db_index=True, max_length=64, verbose_name='对象标识')),
                ('summary', models.TextField(verbose_name='摘要')),
                ('before', models.JSONField(blank=True, null=True, verbose_name='修改前')),
                ('after', models.JSONField(blank=True, null=True, verbose_name='修改后')),
                ('prev_hash', models.CharField(max_length=64, verbose_name='前序哈希')),
                ('entry_hash', models.CharField(max_length=64, unique=True, verbose_name='本条哈希')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_entries', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                ('school', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_entries', to='org.school', verbose_name='学校')),
            ],
            options={
                'verbose_name': '审计日志',
                'verbose_name_plural': '审计日志',
                'db_table': 'audit_entry',
                'ordering': ['-id'],
                'get_latest_by': 'id',
                'base_manager_name': 'objects',
                'default_permissions': ('view',),
                'constraints': [
                    models.UniqueConstraint(fields=('chain', 'seq'), name='audit_entry_chain_seq'),
                    models.CheckConstraint(condition=models.Q(('seq__gte', 1)), name='audit_entry_seq_positive'),
                ],
            },
        ),
        migrations.RunPython(rechain, migrations.RunPython.noop, elidable=False),
        migrations.DeleteModel(name='LegacyAuditEntry'),
        migrations.DeleteModel(name='LegacyAuditHead'),
    ]
