#!/usr/bin/perl
# The upload of bench/upload.sh and bench/upload-cg.sh: a multipart body
# (purpose fine-tune, then the file) holding a fine-tuning JSONL of
# SIZE_MB MB, fixed content, every 100th line with an e-mail address.
# Prints the number of lines of the file.
#
# usage: gen-upload.pl SIZE_MB OUT
use strict;
use warnings;

my ($mb, $out) = @ARGV;
die "usage: gen-upload.pl SIZE_MB OUT\n" unless defined $out;
open my $f, ">:raw", $out or die "$out: $!";
my $b = "----azoaiBench";
print $f "--$b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n"
    . "\r\nfine-tune\r\n--$b\r\nContent-Disposition: form-data; "
    . "name=\"file\"; filename=\"train.jsonl\"\r\nContent-Type: "
    . "application/octet-stream\r\n\r\n";
my ($n, $len) = (0, 0);
while ($len < $mb * 1024 * 1024) {
    $n++;
    my $who = $n % 100 ? "the customer" : "jane.doe$n\@example.com";
    my $l = qq({"messages":[{"role":"system","content":"You are a )
        . qq(helpful assistant."},{"role":"user","content":"Line $n: )
        . qq(please summarise the ticket opened by $who about the )
        . qq(delayed order."},{"role":"assistant","content":"The )
        . qq(order was delayed by the carrier; a refund is on its )
        . qq(way."}]}\n);
    print $f $l;
    $len += length $l;
}
print $f "\r\n--$b--\r\n";
close $f or die "$out: $!";
print "$n\n";
