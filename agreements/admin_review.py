# The proposal review queue (approve, counter-offer, reject) is added by the review work.
