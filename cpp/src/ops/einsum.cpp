// einsum: an equation over the operands' dims, done as permutes, sums over dims no later term
// needs, and one batched matmul per pair of operands (left to right), so gradients come from
// those ops. '...' stands for the same broadcast dims in every operand.
#include <algorithm>
#include <map>
#include <string>

#include "check.h"
#include "glia/ops.h"

namespace glia {

namespace {

// An operand with one letter per dim.
struct Term {
  Tensor t;
  std::string letters;
};

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Expands '...' into `n` letters that the equation does not use (the same ones everywhere).
std::string expand_ellipsis(const std::string& s, const std::string& fill, const std::string& eq) {
  const size_t at = s.find("...");
  if (at == std::string::npos) return s;
  GLIA_CHECK(s.find("...", at + 3) == std::string::npos && s.find('.', at + 3) == std::string::npos,
             ShapeError, "einsum: more than one '...' in a term of '", eq, "'");
  return s.substr(0, at) + fill + s.substr(at + 3);
}

// Sums `x` over its letters not in `keep`.
Term sum_out(Term x, const std::string& keep) {
  Shape dims;
  std::string rest;
  for (size_t i = 0; i < x.letters.size(); ++i) {
    if (keep.find(x.letters[i]) == std::string::npos) dims.push_back(int64_t(i));
    else rest += x.letters[i];
  }
  if (!dims.empty()) x = {sum(x.t, dims), rest};
  return x;
}

// x permuted to the letter order `order` (a permutation of its letters).
Tensor arrange(const Term& x, const std::string& order) {
  Shape perm;
  for (char c : order) perm.push_back(int64_t(x.letters.find(c)));
  return permute(x.t, perm);
}

// The product of two terms, keeping the letters in `keep`.
Term contract(const Term& a, const Term& b, const std::string& keep, const std::map<char, int64_t>& size) {
  std::string batch, m, k, n;
  for (char c : a.letters) {
    const bool in_b = b.letters.find(c) != std::string::npos;
    (in_b ? (keep.find(c) != std::string::npos ? batch : k) : m) += c;
  }
  for (char c : b.letters)
    if (a.letters.find(c) == std::string::npos) n += c;
  auto extent = [&](const std::string& ls) {
    int64_t e = 1;
    for (char c : ls) e *= size.at(c);
    return e;
  };
  // size-1 dims broadcast against the other operand's (as '...' does)
  auto full = [&](const Term& x, const std::string& order) {
    Tensor t = arrange(x, order);
    Shape s;
    for (char c : order) s.push_back(size.at(c));
    return t.shape() == s ? t : expand(t, s);
  };
  const int64_t B = extent(batch), M = extent(m), K = extent(k), N = extent(n);
  Tensor p = bmm(reshape(full(a, batch + m + k), {B, M, K}), reshape(full(b, batch + k + n), {B, K, N}));
  Shape out;
  for (char c : batch + m + n) out.push_back(size.at(c));
  return {reshape(p, out), batch + m + n};
}

}  // namespace

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq += c;
  const size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow), rhs;
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  GLIA_CHECK(terms.size() == operands.size(), ShapeError, "einsum: '", equation, "' has ",
             terms.size(), " terms for ", operands.size(), " operands");
  GLIA_CHECK(!operands.empty(), ShapeError, "einsum: needs at least one operand");
  // '...' becomes the same unused letters in every term, right-aligned as broadcasting is
  int64_t ellipsis_dims = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    GLIA_CHECK(operands[i].defined(), Error, "einsum: got an undefined tensor");
    if (terms[i].find("...") == std::string::npos) continue;
    const int64_t named = int64_t(std::count_if(terms[i].begin(), terms[i].end(), is_letter));
    GLIA_CHECK(operands[i].dim() >= named, ShapeError, "einsum: term '", terms[i], "' names ", named,
               " dims of an operand of shape ", operands[i].shape());
    ellipsis_dims = std::max(ellipsis_dims, operands[i].dim() - named);
  }
  std::string unused;
  for (char c = 'A'; c <= 'z' && int64_t(unused.size()) < ellipsis_dims; ++c)
    if (is_letter(c) && eq.find(c) == std::string::npos) unused += c;
  GLIA_CHECK(int64_t(unused.size()) == ellipsis_dims, ShapeError, "einsum: '...' stands for ",
             ellipsis_dims, " dims in '", equation, "', more than the letters it leaves free");
  std::vector<Term> xs;
  std::map<char, int64_t> size;
  std::map<char, int> count;
  for (size_t i = 0; i < terms.size(); ++i) {
    const Tensor& t = operands[i];
    const int64_t named = int64_t(std::count_if(terms[i].begin(), terms[i].end(), is_letter));
    const bool has_ellipsis = terms[i].find("...") != std::string::npos;
    // this operand's '...' covers its last dims before the named ones: the rightmost letters
    std::string fill = has_ellipsis ? unused.substr(unused.size() - size_t(t.dim() - named)) : "";
    std::string letters = expand_ellipsis(terms[i], fill, equation);
    for (char c : letters)
      GLIA_CHECK(is_letter(c), ShapeError, "einsum: '", c, "' in '", equation,
                 "' is not a letter (subscripts are a-z and A-Z)");
    GLIA_CHECK(int64_t(letters.size()) == t.dim(), ShapeError, "einsum: term '", terms[i], "' has ",
               letters.size(), " subscripts for an operand of shape ", t.shape());
    // a subscript repeated within a term ('ii', 'bii'): take that diagonal, which becomes
    // the term's last dim
    for (char c : letters) ++count[c];  // 'ii' counts i twice: implicit output sums it
    Tensor x = t;
    for (size_t d = 0; d < letters.size(); ++d) {
      const size_t again = letters.find(letters[d], d + 1);
      if (again == std::string::npos) continue;
      GLIA_CHECK(x.shape()[d] == x.shape()[again], ShapeError, "einsum: subscript '", letters[d],
                 "' repeats in '", terms[i], "' over dims of sizes ", x.shape()[d], " and ",
                 x.shape()[again]);
      x = diagonal(x, 0, int64_t(d), int64_t(again));
      const char c = letters[d];
      letters.erase(again, 1);
      letters.erase(d, 1);
      letters += c;
      --d;  // the letter now at d is new: look at it again
    }
    for (size_t d = 0; d < letters.size(); ++d) {
      const char c = letters[d];
      const int64_t n = x.shape()[d];
      auto it = size.find(c);
      if (it == size.end() || it->second == 1) size[c] = n;
      else
        GLIA_CHECK(n == 1 || n == it->second, ShapeError, "einsum: subscript '", c, "' has size ",
                   it->second, " and ", n, " in '", equation, "'");
    }
    xs.push_back({x, letters});
  }
  if (arrow == std::string::npos) {  // implicit output: '...' then the letters used once, sorted
    std::string once;
    for (auto& [c, k] : count)
      if (k == 1 && unused.find(c) == std::string::npos) once += c;
    rhs = unused + once;
  } else {
    rhs = expand_ellipsis(eq.substr(arrow + 2), unused, equation);
    for (size_t d = 0; d < rhs.size(); ++d) {
      GLIA_CHECK(is_letter(rhs[d]) && size.count(rhs[d]), ShapeError, "einsum: output subscript '",
                 rhs[d], "' of '", equation, "' is in no input term");
      GLIA_CHECK(rhs.find(rhs[d]) == d, ShapeError, "einsum: output subscript '", rhs[d],
                 "' repeats in '", equation, "'");
    }
  }
  // left to right; each step keeps the letters the output or a later operand needs
  auto needed_after = [&](size_t i) {
    std::string need = rhs;
    for (size_t j = i + 1; j < xs.size(); ++j) need += xs[j].letters;
    return need;
  };
  Term acc = sum_out(xs[0], needed_after(0));
  for (size_t i = 1; i < xs.size(); ++i) {
    const std::string need = needed_after(i);
    acc = contract(acc, sum_out(xs[i], need + acc.letters), need, size);
  }
  acc = sum_out(acc, rhs);
  Tensor out = arrange(acc, rhs);
  Shape shape;
  for (char c : rhs) shape.push_back(size.at(c));
  // a broadcast size-1 dim the output keeps but no contraction expanded
  return out.shape() == shape ? contiguous(out) : contiguous(expand(out, shape));
}

}  // namespace glia
