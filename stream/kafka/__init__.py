"""What any Kafka cluster needs: client configuration and security (``topics``), topic
creation, and the producer the project's own publishers use (``producer``)."""
