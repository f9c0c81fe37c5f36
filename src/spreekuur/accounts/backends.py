"""The password backend, loading with the user what every page asks next: their staff
membership or patient profile, and its practice (one query instead of four per request)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

BACKEND = "spreekuur.accounts.backends.PracticeAwareBackend"


class PracticeAwareBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        try:
            user = (
                self.user_model()
                ._default_manager.select_related(
                    "membership__practice", "patient_profile__practice"
                )
                .get(pk=user_id)
            )
        except self.user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    @staticmethod
    def user_model() -> Any:
        from django.contrib.auth import get_user_model

        return get_user_model()
