/*
 * A string-keyed hash map (open addressing, linear probing). Keys are
 * borrowed: they must outlive the map. Values are size_t.
 */
#ifndef CUSTODY_SRC_MAP_H
#define CUSTODY_SRC_MAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct custody_map {
	const char **keys;
	size_t *values;
	size_t cap, count;
};

static inline uint64_t custody_map__hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static inline int custody_map__grow(struct custody_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	const char **keys = calloc(cap, sizeof(*keys));
	size_t *values = calloc(cap, sizeof(*values));

	if (keys == NULL || values == NULL) {
		free(keys);
		free(values);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (m->keys[i] == NULL)
			continue;
		j = custody_map__hash(m->keys[i]) & (cap - 1);
		while (keys[j] != NULL)
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		values[j] = m->values[i];
	}
	free(m->keys);
	free(m->values);
	m->keys = keys;
	m->values = values;
	m->cap = cap;
	return 0;
}

/* Returns a pointer to the value slot of key, or NULL if absent. */
static inline size_t *custody_map__get(const struct custody_map *m,
	const char *key)
{
	size_t j;

	if (m->cap == 0)
		return NULL;
	j = custody_map__hash(key) & (m->cap - 1);
	while (m->keys[j] != NULL) {
		if (strcmp(m->keys[j], key) == 0)
			return &m->values[j];
		j = (j + 1) & (m->cap - 1);
	}
	return NULL;
}

/* Insert or replace; 0 or -1 (out of memory). */
static inline int custody_map__put(struct custody_map *m, const char *key,
	size_t value)
{
	size_t j, *slot = custody_map__get(m, key);

	if (slot != NULL) {
		*slot = value;
		return 0;
	}
	if ((m->count + 1) * 2 > m->cap && custody_map__grow(m) != 0)
		return -1;
	j = custody_map__hash(key) & (m->cap - 1);
	while (m->keys[j] != NULL)
		j = (j + 1) & (m->cap - 1);
	m->keys[j] = key;
	m->values[j] = value;
	m->count++;
	return 0;
}

static inline void custody_map__free(struct custody_map *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

#endif
