// Runs once, when MongoDB initialises an empty data directory (docker-entrypoint-initdb.d): the
// license server's own user, allowed to read and write its database and nothing else.
const name = process.env.MONGO_APP_DATABASE || 'license_server';
db.getSiblingDB(name).createUser({
  user: process.env.MONGO_APP_USER,
  pwd: process.env.MONGO_APP_PASSWORD,
  roles: [{ role: 'readWrite', db: name }],
});
