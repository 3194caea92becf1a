"""The local Personalize's control plane (the ``personalize`` API, awsJson1_1).

:class:`~personalize_sdk.server.control.service.ControlPlane` serves every
operation of botocore's model over a persistent resource store, one local
engine per dataset group, and an S3 mapping to local folders. See
``docs/personalize-offline.rst``.
"""

from .service import ControlPlane

__all__ = ["ControlPlane"]
