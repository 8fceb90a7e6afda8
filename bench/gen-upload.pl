#!/usr/bin/perl
# The upload of bench/upload.sh and bench/upload-cg.sh: a multipart body
# (the purpose, then the file) holding a JSONL file of SIZE_MB MB, fixed
# content, every 100th line with an e-mail address: a fine-tuning file
# (PURPOSE fine-tune, the default), or with PURPOSE batch a batch file
# whose lines carry the same messages in a request to deployment
# chat-prod (each line judged, then masked).  Prints the number of lines.
#
# usage: gen-upload.pl SIZE_MB OUT [PURPOSE]
use strict;
use warnings;

my ($mb, $out, $purpose) = @ARGV;
die "usage: gen-upload.pl SIZE_MB OUT [PURPOSE]\n" unless defined $out;
$purpose //= 'fine-tune';
die "PURPOSE is fine-tune or batch\n"
    unless $purpose =~ /^(?:fine-tune|batch)$/;
open my $f, ">:raw", $out or die "$out: $!";
my $b = "----azoaiBench";
print $f "--$b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n"
    . "\r\n$purpose\r\n--$b\r\nContent-Disposition: form-data; "
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
    $l = qq({"custom_id":"task-$n","method":"POST",)
        . qq("url":"/chat/completions","body":{"model":"chat-prod",)
        . substr($l, 1, -2) . "}}\n" if $purpose eq 'batch';
    print $f $l;
    $len += length $l;
}
print $f "\r\n--$b--\r\n";
close $f or die "$out: $!";
print "$n\n";
