from __future__ import annotations

from rest_framework import serializers

from deliberations.models import Collectivite


class SandboxSerializer(serializers.ModelSerializer):
    class Meta:
        model = Collectivite
        fields = ["id", "name", "slug", "siren", "is_training", "created_at"]
        read_only_fields = fields


class SandboxCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class SandboxCreatedSerializer(serializers.Serializer):
    sandbox = SandboxSerializer()
    usernames = serializers.ListField(child=serializers.CharField())
    password = serializers.CharField(help_text="Shown once: every login of the sandbox uses it.")


class SandboxResetSerializer(serializers.Serializer):
    sandbox = SandboxSerializer()
    deleted = serializers.DictField(child=serializers.IntegerField())
    files = serializers.IntegerField()
