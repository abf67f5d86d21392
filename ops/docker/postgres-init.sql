-- The two services' databases (what ops/setup.sh creates on a machine of its own).
CREATE DATABASE userstream_users;
CREATE DATABASE userstream_stats;
