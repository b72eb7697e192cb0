#pragma once
/// A growable ring buffer of job ids: a replica's waiting line, served from the front (FIFO)
/// or the back (LIFO). It grows by doubling and never shrinks, so a steady state allocates nothing.

#include <cstdint>
#include <vector>

namespace rapture {

class RingQueue {
 public:
  [[nodiscard]] uint32_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  void push_back(uint32_t v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  uint32_t pop_front() {
    const uint32_t v = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return v;
  }
  uint32_t pop_back() {
    --size_;
    return buf_[(head_ + size_) & (buf_.size() - 1)];
  }

 private:
  void grow() {
    std::vector<uint32_t> bigger(buf_.empty() ? 16 : buf_.size() * 2);
    for (uint32_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_.swap(bigger);
    head_ = 0;
  }
  std::vector<uint32_t> buf_;
  uint32_t head_ = 0, size_ = 0;
};

}  // namespace rapture
