from __future__ import annotations

from django.contrib import admin

from .models import AmbulanceUnit, Department, Facility, Membership


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


class AmbulanceInline(admin.TabularInline):
    model = AmbulanceUnit
    extra = 0


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "phone", "availability", "is_active"]
    list_filter = ["kind", "is_active"]
    inlines = [DepartmentInline, AmbulanceInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "facility", "role"]
    list_filter = ["role"]
