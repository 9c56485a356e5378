"""The web shell: menu per role, home page with unit and to-dos, error pages, demo data."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from xueji.accounts.models import Role, User
from xueji.org.models import Grade, School, SchoolClass
from xueji.portal.demo import DEMO_PASSWORD
from xueji.portal.menu import menu_for


def _labels(user):
    return {e["label"] for g in menu_for(user) for e in g["entries"]}


def test_menu_per_role(world):
    u = world.users
    admin = _labels(u.th_admin)
    assert {"学校列表", "用户管理", "在线用户", "审计日志", "代码表"} <= admin
    registrar = _labels(u.th_registrar)
    assert "学校列表" in registrar and "用户管理" not in registrar
    school = _labels(u.school_registrar)
    assert {"学校基本信息管理", "年级班级管理"} <= school and "学校列表" not in school
    assert "审计日志" not in school


def test_menu_hides_features_not_built(world):
    groups = {g["label"] for g in menu_for(world.users.th_registrar)}
    assert "学校管理" in groups and "系统管理" in groups
    # Every entry shown resolves to a page that answers.
    for group in menu_for(world.users.th_admin):
        for entry in group["entries"]:
            assert entry["url"].startswith("/")


def test_every_menu_page_opens_for_its_role(client, world):
    for user in vars(world.users).values():
        if user.role == Role.PARENT:
            continue
        client.force_login(user)
        for group in menu_for(user):
            for entry in group["entries"]:
                response = client.get(entry["url"], follow=True)
                assert response.status_code == 200, (user.username, entry)


def test_home_shows_unit_and_todos(client, world):
    from django.utils import timezone

    world.users.sch_registrar = world.users.school_registrar
    world.users.school_registrar.locked_at = timezone.now()
    world.users.school_registrar.save()
    client.force_login(world.users.th_admin)
    page = client.get("/").content.decode()
    assert "天河区教育局" in page and "待解锁账号" in page and "辖区学校" in page
    client.force_login(world.users.school_leader)
    page = client.get("/").content.decode()
    assert "天河测试小学" in page


def test_404_page_is_chinese(client, world):
    client.force_login(world.users.th_admin)
    response = client.get("/no/such/page/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_demo_data_every_role_every_level(capsys, client):
    from xueji.problems.models import ProblemGroup
    from xueji.students.models import Student
    from xueji.workflow.models import Business
    from xueji.workflow.services import load_default_configs

    call_command("load_divisions", verbosity=0)
    load_default_configs()
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out
    for username in ["moe_registrar", "moe_admin", "gd_registrar", "gd_admin", "gz_registrar", "gz_admin",
                     "th_registrar", "th_admin", "school1_registrar", "school1_leader", "school1_teacher",
                     "school1_checker"]:
        assert username in out
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    names = list(User.objects.values_list("real_name", flat=True))
    assert len(names) == len(set(names)), "two demo accounts share a person's name"
    roles = set(User.objects.values_list("role", flat=True))
    assert roles >= {Role.AUTHORITY_REGISTRAR, Role.AUTHORITY_ADMIN, Role.SCHOOL_REGISTRAR,
                     Role.SCHOOL_LEADER, Role.CLASS_TEACHER, Role.DATA_CHECKER}
    categories = set(School.objects.values_list("category", flat=True))
    assert categories == {"1", "2", "3"}
    assert School.objects.filter(has_primary=True).exists()
    assert School.objects.filter(has_senior=True).exists()
    assert School.objects.filter(supervisor__level=1).exists() and School.objects.filter(supervisor__level=2).exists()
    # every class code agrees with its grade
    from xueji.org.rules import check_class_code

    for klass in SchoolClass.objects.select_related("grade"):
        assert check_class_code(klass.code, klass.grade.stage, klass.grade.entry_year) == []
    counts = (School.objects.count(), Grade.objects.count(), SchoolClass.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert counts == (School.objects.count(), Grade.objects.count(), SchoolClass.objects.count(),
                      User.objects.count())
    assert SchoolClass.objects.filter(head_teacher__username="school1_teacher").count() == 1
    # pupils in every class of the core schools, registered through the pipeline
    assert not SchoolClass.objects.filter(students__isnull=True).exists()
    assert Student.objects.filter(national_number__startswith="G").count() > 400
    # temporary numbers: two failed verification at registration, nine duplicates of the 问题学籍 demo
    assert Student.objects.filter(national_number__startswith="L").count() == 2 + 9
    # 问题学籍: the two 身份证件号错误 of registration, and duplicate pairs in every state of the handling
    assert ProblemGroup.objects.filter(kind="id_error").count() == 2
    duplicates = ProblemGroup.objects.filter(kind="id_duplicate")
    assert sorted(duplicates.values_list("state", flat=True)) == sorted(
        ["waiting", "reviewing", "waiting", "arbitration", "arbitration", "arbitration", "waiting", "returned",
         "resolved"])
    assert {g.arbiter.name for g in duplicates.filter(state="arbitration")} == {"天河区教育局", "广州市教育局", "教育部"}
    assert duplicates.filter(cross_province=True, state="arbitration", arbiter__level=0).count() == 1
    assert duplicates.filter(locked=True).count() == 1
    # 学籍数据维护: one showcase record with an edit and two tabs filled, its history shown
    from xueji.students.models import RecordEvent

    assert RecordEvent.objects.filter(kind="fields", student__phone="13800138000").count() == 1
    assert RecordEvent.objects.filter(kind="parts").count() == 2
    # 日常管理 (issue 8 §12): a key data change and a 休学 waiting, 误操作删除 requests
    open_kinds = set(Business.objects.filter(status="open").values_list("kind", flat=True))
    assert {"key_change", "suspend", "mistaken_delete"} <= open_kinds, open_kinds
    # a pupil who suspended and came back, both businesses passed, and an overdue transfer step
    resumed = Business.objects.get(kind="resume", status="passed").student
    assert resumed.status == "10" and Business.objects.filter(kind="suspend", status="passed", student=resumed).exists()
    assert [e.kind for e in resumed.events.filter(kind="status").order_by("at", "pk")] == ["status", "status"]
    assert any(b.is_overdue() for b in Business.objects.filter(status="open", kind="transfer_in_province"))
    waiting = set(Business.objects.filter(status="open").values_list("current_level", "hold"))
    assert waiting >= {("school", ""), ("supervisor", "report_pending"), ("supervisor", ""), ("province", ""),
                       ("school", "dedup_pending")}
    # a 身份证件号 correction waiting for the population registry (待查重认证)
    from xueji.changes.models import KeyChangeCheck

    assert KeyChangeCheck.objects.filter(verify_status="pending", business__status="open",
                                         business__hold="dedup_pending").count() == 1
    # 省内转学: one waiting at each party (two schools, two county bureaus), one moved and waiting for a class
    transfers = Business.objects.filter(kind="transfer_in_province")
    assert set(transfers.values_list("status", "current_level")) == {("open", "supervisor"), ("open", "school"),
                                                                     ("passed", "")}
    waiting_at = {b.current_unit for b in transfers.filter(status="open")}
    assert len(waiting_at) == 4 and {"天河区教育局", "海珠区教育局"} <= waiting_at, waiting_at
    # 毕业升级 (issue 10 §9): three final grades graduated through the chain (one 毕业去向 filled), the
    # other 天河区 final grades ready to graduate, 广东省's 升级时间 configured
    from xueji.graduation.models import Graduate
    from xueji.promotion.models import PromotionMoment

    graduated = set(Graduate.objects.values_list("school__code", "stage"))
    assert graduated == {("3440105001", "1"), ("3440106003", "1"), ("3440106002", "2")}, graduated
    assert Graduate.objects.filter(destination="10").count() == 1  # 就业; 调档 fills 01-升学 (below)
    assert Student.objects.filter(school__code="3440106001", status="10", grade__entry_year=min(
        Student.objects.filter(school__code="3440106001").values_list("grade__entry_year", flat=True))).exists()
    moment = PromotionMoment.objects.get(authority__code="440000000000")
    assert (moment.month, moment.day, moment.hour, moment.minute) == (8, 10, 24, 0)
    # 招生入学 (issue 10 §9): a list imported with refused rows, admissions waiting at each party, one
    # duplicate admission with one side's 佐证 waiting for 核办; 招生计划数 and a change request
    from xueji.admission.models import AdmissionResult, DuplicateAdmission
    from xueji.dupadmission.models import DuplicateEvidence
    from xueji.enrolplans.models import EnrolmentPlan, PlanChange
    from xueji.jobs.models import Job

    job = Job.objects.get(kind="admission.import")
    assert job.status == "done" and job.result["failed_count"] == 4 and job.result["created"] == 11
    states = set(AdmissionResult.objects.values_list("state", flat=True))
    assert states == {"waiting", "reviewing", "approved", "retrieved", "placed"}, states
    waiting = {(b.current_level, b.current_unit) for b in Business.objects.filter(kind="admit_junior", status="open")}
    assert {("school", "天河区第一初级中学"), ("supervisor", "天河区教育局"), ("supervisor", "海珠区教育局")} <= waiting
    duplicate = DuplicateAdmission.objects.get(resolved=False)
    assert AdmissionResult.objects.filter(duplicate_group=duplicate, duplicate=True).count() == 2
    assert DuplicateEvidence.objects.filter(admission__duplicate_group=duplicate).count() == 1
    retrieved = AdmissionResult.objects.filter(state__in=["retrieved", "placed"]).values_list("student_id", flat=True)
    assert set(Graduate.objects.filter(student_id__in=retrieved).values_list("destination", flat=True)) == {"01"}
    assert EnrolmentPlan.objects.count() == 6 and PlanChange.objects.filter(state="open").count() == 1
    response = client.post(reverse("accounts:login"), {"username": "th_registrar", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "天河区教育局" in client.get("/").content.decode()


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_production_password_hasher_is_installed():
    """The test settings hash with MD5 for speed; the real settings use Argon2id, whose
    library must be installed."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    import xueji.settings as real

    assert real.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    encoded = Argon2PasswordHasher().encode("Xueji@2026", "saltsaltsalt")
    assert encoded.startswith("argon2$argon2id$")
    assert Argon2PasswordHasher().verify("Xueji@2026", encoded)
