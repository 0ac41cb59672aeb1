"""Routing's tables (`models`), the versioned directory (`versions`), decisions and open cases
(`decisions`)."""
