"""Pure rules about personal data in what people read: masking free text, and what the public may see of a
case.

No nameko, no SQLAlchemy: intake's views, the gateway's Open311 edge and any later read model share them.
"""
