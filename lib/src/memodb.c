#include "memodb.h"
#include "map.h"

#include <stdlib.h>
#include <string.h>

struct object {
	char key[GIT_OID_HEXSZ + 1];
	git_object_t type;
	void *data;
	size_t len;
};

struct memodb {
	git_odb_backend parent;
	struct object *objects;
	size_t count, alloc;
	struct custody_map by_id;
};

static struct object *find(struct memodb *db, const git_oid *id)
{
	char key[GIT_OID_HEXSZ + 1];
	size_t *slot;

	git_oid_tostr(key, sizeof(key), id);
	slot = custody_map__get(&db->by_id, key);
	return slot ? &db->objects[*slot] : NULL;
}

static int mem_read(void **out, size_t *len, git_object_t *type,
	git_odb_backend *backend, const git_oid *id)
{
	struct object *o = find((struct memodb *)backend, id);

	if (o == NULL)
		return GIT_ENOTFOUND;
	*out = git_odb_backend_data_alloc(backend, o->len ? o->len : 1);
	if (*out == NULL)
		return -1;
	memcpy(*out, o->data, o->len);
	*len = o->len;
	*type = o->type;
	return 0;
}

static int mem_read_header(size_t *len, git_object_t *type,
	git_odb_backend *backend, const git_oid *id)
{
	struct object *o = find((struct memodb *)backend, id);

	if (o == NULL)
		return GIT_ENOTFOUND;
	*len = o->len;
	*type = o->type;
	return 0;
}

static int mem_exists(git_odb_backend *backend, const git_oid *id)
{
	return find((struct memodb *)backend, id) != NULL;
}

static int mem_write(git_odb_backend *backend, const git_oid *id,
	const void *data, size_t len, git_object_t type)
{
	struct memodb *db = (struct memodb *)backend;
	struct object *o;

	if (find(db, id) != NULL)
		return 0;
	if (db->count == db->alloc) {
		size_t alloc = db->alloc ? db->alloc * 2 : 64;
		struct object *grown = realloc(db->objects,
			alloc * sizeof(*grown));

		if (grown == NULL)
			return -1;
		/* the map holds keys inside the objects: rebuild it */
		custody_map__free(&db->by_id);
		db->objects = grown;
		db->alloc = alloc;
		for (size_t i = 0; i < db->count; i++)
			if (custody_map__put(&db->by_id, db->objects[i].key,
			    i) != 0)
				return -1;
	}
	o = &db->objects[db->count];
	git_oid_tostr(o->key, sizeof(o->key), id);
	o->type = type;
	o->len = len;
	o->data = malloc(len ? len : 1);
	if (o->data == NULL)
		return -1;
	memcpy(o->data, data, len);
	if (custody_map__put(&db->by_id, o->key, db->count) != 0) {
		free(o->data);
		return -1;
	}
	db->count++;
	return 0;
}

static void mem_free(git_odb_backend *backend)
{
	struct memodb *db = (struct memodb *)backend;

	for (size_t i = 0; i < db->count; i++)
		free(db->objects[i].data);
	free(db->objects);
	custody_map__free(&db->by_id);
	free(db);
}

int custody_memodb__new(git_odb_backend **out)
{
	struct memodb *db = calloc(1, sizeof(*db));

	*out = NULL;
	if (db == NULL)
		return -1;
	db->parent.version = GIT_ODB_BACKEND_VERSION;
	db->parent.read = mem_read;
	db->parent.read_header = mem_read_header;
	db->parent.write = mem_write;
	db->parent.exists = mem_exists;
	db->parent.free = mem_free;
	*out = &db->parent;
	return 0;
}

int custody_memodb__each(git_odb_backend *backend,
	int (*cb)(git_object_t type, const void *data, size_t len,
	void *payload), void *payload)
{
	struct memodb *db = (struct memodb *)backend;
	int rc;

	for (size_t i = 0; i < db->count; i++)
		if ((rc = cb(db->objects[i].type, db->objects[i].data,
		    db->objects[i].len, payload)) != 0)
			return rc;
	return 0;
}
