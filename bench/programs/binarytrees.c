// binarytrees: allocation-heavy tree building, the native C baseline for
// binarytrees.tri, using plain malloc/free per node (no pools).
#include <stdio.h>
#include <stdlib.h>

typedef struct Node { struct Node* left; struct Node* right; } Node;

static Node* make(int depth) {
  Node* n = malloc(sizeof(Node));
  if (depth == 0) {
    n->left = n->right = NULL;
  } else {
    n->left = make(depth - 1);
    n->right = make(depth - 1);
  }
  return n;
}

static long long check(const Node* n) {
  if (!n->left) return 1;
  return 1 + check(n->left) + check(n->right);
}

static void release(Node* n) {
  if (n->left) { release(n->left); release(n->right); }
  free(n);
}

int main(int argc, char** argv) {
  int min_depth = 4;
  int max_depth = argc > 1 ? atoi(argv[1]) : 10;
  if (max_depth < min_depth + 2) max_depth = min_depth + 2;
  Node* stretch = make(max_depth + 1);
  long long total = check(stretch);
  release(stretch);
  Node* long_lived = make(max_depth);
  for (int depth = min_depth; depth <= max_depth; depth += 2) {
    long long iterations = 1LL << (max_depth - depth + min_depth);
    long long sum = 0;
    for (long long i = 0; i < iterations; i++) {
      Node* t = make(depth);
      sum += check(t);
      release(t);
    }
    total += sum;
  }
  total += check(long_lived);
  release(long_lived);
  printf("%lld\n", total);
  return 0;
}
