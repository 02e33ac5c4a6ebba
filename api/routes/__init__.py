"""HTTP routes: one blueprint per resource, thin handlers over the services."""
