"""Small pools of realistic strings drawn once with a seeded Faker; numpy samples them."""

from __future__ import annotations

from faker import Faker

POOL_SIZE = 400


def handle_pool(seed: int) -> list[str]:
    """Lower-case first names for e-mail handles, the same for the same seed."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    names = {fake.first_name().lower() for _ in range(POOL_SIZE * 3)}
    return sorted(names)[:POOL_SIZE]
