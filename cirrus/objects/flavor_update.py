"""Changes to an existing flavor (the API lets only its description change, from 2.55)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.db.api import models
from cirrus.objects import flavor as flavor_obj
from cirrus.objects.flavor_spec import FlavorSpec


def update_description(session: Session, flavorid: str, description: str | None) -> FlavorSpec:
    """Set a flavor's description; raises FlavorNotFound."""
    row = session.scalar(select(models.Flavor).filter_by(flavorid=flavorid))
    if row is None:
        raise exception.FlavorNotFound(flavor_id=flavorid)
    row.description = description
    session.flush()
    return flavor_obj.get_by_flavor_id(session, flavorid)
