"""Serialisers of the read API (F-84): plain fields, codes with their Chinese names."""

from __future__ import annotations

from rest_framework import serializers

from xueji.org.models import Authority, Division, Grade, School, SchoolClass


class DivisionSerializer(serializers.ModelSerializer):
    level_name = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Division
        fields = ["code", "name", "level", "level_name", "parent", "is_active"]


class AuthoritySerializer(serializers.ModelSerializer):
    level_name = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Authority
        fields = ["id", "code", "name", "level", "level_name", "division", "parent", "is_active"]


class SchoolSerializer(serializers.ModelSerializer):
    supervisor_code = serializers.CharField(source="supervisor.code", read_only=True)
    category_name = serializers.CharField(source="get_category_display", read_only=True)
    stages = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = School
        fields = [
            "id", "code", "name", "english_name", "division", "supervisor", "supervisor_code",
            "category", "category_name", "school_type", "sponsor_type", "stages",
            "primary_years", "junior_years", "senior_years", "address_code", "address",
            "urban_rural_type", "postcode", "homepage", "boarding_type", "is_active", "updated_at",
        ]


class GradeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    school_code = serializers.CharField(source="school.code", read_only=True)

    class Meta:
        model = Grade
        fields = ["id", "school", "school_code", "stage", "entry_year", "name", "is_graduated"]


class SchoolClassSerializer(serializers.ModelSerializer):
    school_code = serializers.CharField(source="school.code", read_only=True)

    class Meta:
        model = SchoolClass
        fields = ["id", "school", "school_code", "grade", "code", "name"]
